// Reading back what was shipped, with read-only credentials (s3:ListBucket and s3:GetObject on the prefix): a
// session's recordings and the audit segments, downloaded to a temporary directory so the usual readers work on them.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/schema.js';
import { fail } from '../errors.js';

export interface BucketLocation {
  bucket: string;
  /** Ends with '/' (or is empty). */
  prefix: string;
  region: string;
  endpoint?: string;
}

export interface LocationFlags {
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
}

/** Flags first, then the shipping section of a local config (an auditor's machine may have none). */
export function bucketLocation(flags: LocationFlags, shipping?: Config['shipping']): BucketLocation {
  const bucket = flags.bucket ?? shipping?.bucket;
  if (!bucket) throw fail('ARGUMENT_INVALID', 'no bucket: give --bucket NAME (and --prefix, --endpoint, --region as shipped), or run where shipping.bucket is configured');
  const prefix = flags.prefix ?? shipping?.prefix ?? 'fumidai/';
  return {
    bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    region: flags.region ?? shipping?.region ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: flags.endpoint ?? shipping?.endpoint,
  };
}

export class BucketReader {
  readonly location: BucketLocation;
  #client: S3Client;

  constructor(location: BucketLocation) {
    this.location = location;
    this.#client = new S3Client({
      region: location.region,
      ...(location.endpoint ? { endpoint: location.endpoint, forcePathStyle: true } : {}),
      maxAttempts: 2,
    });
  }

  /** Keys under PREFIX + `sub`, in order. */
  async list(sub: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#call(() => this.#client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.location.prefix + sub, ContinuationToken: token })));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** Streams objects into a new temporary directory, keeping their paths below the prefix; returns the local paths. */
  async download(keys: string[]): Promise<{ dir: string; paths: string[] }> {
    const dir = await mkdtemp(join(tmpdir(), 'fumidai-bucket-'));
    const paths: string[] = [];
    for (const key of keys) {
      const path = join(dir, key.slice(this.location.prefix.length));
      await mkdir(dirname(path), { recursive: true });
      await this.#call(async () => {
        const res = await this.#client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
        await pipeline(res.Body as Readable, createWriteStream(path, { mode: 0o600 }));
      });
      paths.push(path);
    }
    return { dir, paths };
  }

  /** The recordings of one session, channel by channel (torn tails left out). */
  async sessionRecordings(auditKey: string): Promise<string[]> {
    return (await this.list(`recordings/${auditKey.slice(0, 8)}/${auditKey}/`)).filter((k) => !k.endsWith('.torn'));
  }

  async auditSegments(): Promise<string[]> {
    return (await this.list('audit/')).filter((k) => k.endsWith('.jsonl'));
  }

  /** Any failure of the bucket becomes one line (BUCKET_UNAVAILABLE). */
  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const e = err as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
      const why = e.name === 'Error' || !e.name ? e.message : `${e.name}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}: ${e.message}`;
      throw fail('BUCKET_UNAVAILABLE', `s3://${this.location.bucket}/${this.location.prefix}`, why.split('\n')[0]!);
    }
  }
}
