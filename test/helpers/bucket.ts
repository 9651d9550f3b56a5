// A bucket for integration tests: s3rver (an S3-API server) on a temp directory, with an S3Proxy in front of it that
// fumidai is pointed at, so a test sees what fumidai sent and can stage an outage (proxy.stop() / proxy.start()).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from './proc.js';
import { S3Proxy } from './s3-proxy.js';

/** The key pair of s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface Bucket {
  name: string;
  /** Where fumidai reaches the bucket: through the proxy. */
  endpoint: string;
  proxy: S3Proxy;
  /** Straight to s3rver, so the test's own reads and writes stay out of `proxy.requests`. */
  client: S3Client;
  /** Edits for `Bastion.init`: ship recordings and audit segments here, a round every `intervalSeconds`. */
  shippingConfig(intervalSeconds: number): Record<string, string>;
  /** Edits for `Bastion.init`: sync users and keys from here (shipping stays off), a round every `intervalSeconds`. */
  keySyncConfig(intervalSeconds: number): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts s3rver with the bucket `name` and the proxy in front of it, and puts s3rver's credentials in the environment
 * the bastion's server and CLI inherit. With `down`, the proxy is not started: nothing listens at the endpoint until
 * `proxy.start()`, as for a bucket that is unreachable from the start.
 */
export async function startBucket(name: string, opts: { down?: boolean } = {}): Promise<Bucket> {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-s3-'));
  const s3port = await freePort();
  const s3 = new S3rver({ port: s3port, address: '127.0.0.1', directory: dir, silent: true, configureBuckets: [{ name, configs: [] }] });
  await s3.run();
  const proxy = new S3Proxy(await freePort(), s3port);
  if (!opts.down) await proxy.start();
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  const endpoint = `http://127.0.0.1:${proxy.port}`;
  // The keys are lines of the config template (src/config/template.ts), replaced once each, in this order.
  const endpointEdit = { '# endpoint: http://127.0.0.1:9000': `endpoint: ${endpoint}` };
  return {
    name,
    endpoint,
    proxy,
    client: new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${s3port}`, forcePathStyle: true, credentials: S3RVER_CREDENTIALS }),
    shippingConfig: (intervalSeconds) => ({ '# bucket: my-bastion-logs': `bucket: ${name}`, ...endpointEdit, 'interval: 60': `interval: ${intervalSeconds}` }),
    // keySync's interval is the one followed by the session section (shipping's comes first).
    keySyncConfig: (intervalSeconds) => ({ '# bucket: my-bastion-keys': `bucket: ${name}`, ...endpointEdit, 'interval: 60\n\nsession': `interval: ${intervalSeconds}\n\nsession` }),
    async stop() {
      await proxy.stop();
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
