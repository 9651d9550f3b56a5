// The Prometheus endpoint of a running server during a bucket outage and after it: upload errors rise and the
// backlog shows (files and bytes), then the backlog drains and uploads are counted; `status --json` agrees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { Bastion, ssh } from './helpers/fumidai.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const BUCKET = 'fumidai-metrics';

describe('metrics', () => {
  const b = new Bastion();
  let web1: Target;
  let bucket: Bucket;
  let metricsUrl: string;

  /** The samples of one scrape, by metric name (labels ignored: these metrics have none). */
  const scrape = async (): Promise<Record<string, number>> => {
    const res = await fetch(metricsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const out: Record<string, number> = {};
    for (const line of (await res.text()).split('\n')) {
      const m = /^(fumidai_[a-z_]+) (\S+)$/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
    return out;
  };
  const until = async (what: (m: Record<string, number>) => boolean, label: string) => {
    let last: Record<string, number> = {};
    for (let i = 0; i < 120; i++) {
      last = await scrape();
      if (what(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`timed out waiting for ${label}: ${JSON.stringify(last)}`);
  };

  before(async () => {
    bucket = await startBucket(BUCKET, { down: true }); // nothing listens at its endpoint yet: down from the start
    await b.init({ ...bucket.shippingConfig(0.5), '# listen: 127.0.0.1:9722': 'listen: 127.0.0.1:0' });
    web1 = await b.addTarget('web1');
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    for (let i = 0; i < 50 && !/metrics on (http:\/\/\S+\/metrics)/.test(b.log); i++) await new Promise((r) => setTimeout(r, 100));
    metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(b.log)![1]!;
    assert.equal((await ssh(b.sshConfig('alice', key, { web1: LOGIN }), ['web1', 'head -c 100000 /dev/zero'])).code, 0);
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await bucket?.stop();
  });

  test('an outage shows as upload errors and a backlog; when the bucket returns the backlog drains', async () => {
    // The recording of 100 kB of output joins the backlog at the next round after its session ended.
    const down = await until((m) => (m.fumidai_shipping_upload_errors_total ?? 0) > 0 && (m.fumidai_shipping_backlog_bytes ?? 0) > 100_000, 'upload errors and the recording waiting');
    assert.ok(down.fumidai_shipping_backlog_files! >= 2, 'the recording and the audit segment');
    assert.equal(down.fumidai_shipping_uploads_total, 0);
    const status = JSON.parse((await b.cli(['status', '--json'])).stdout) as { destination: string; backlog: { files: number; bytes: number }; waiting: { lastError: string | null }[] };
    assert.equal(status.destination, `s3://${BUCKET}/fumidai/`);
    assert.ok(status.backlog.files > 0 && status.waiting.some((w) => w.lastError), JSON.stringify(status));
    assert.ok(down.fumidai_process_resident_memory_bytes! > 0, 'process metrics too');
    assert.ok(down.fumidai_audit_unanchored_checkpoints! >= 1, 'signed checkpoints wait for the bucket too');

    await bucket.proxy.start();
    const up = await until((m) => m.fumidai_shipping_backlog_files === 0 && (m.fumidai_shipping_uploads_total ?? 0) >= down.fumidai_shipping_backlog_files!, 'the backlog to drain');
    assert.equal(up.fumidai_shipping_backlog_bytes, 0);
    assert.equal((await until((m) => m.fumidai_audit_unanchored_checkpoints === 0, 'the checkpoints to be anchored')).fumidai_audit_unanchored_checkpoints, 0);
    assert.ok(Math.abs(up.fumidai_shipping_last_upload_timestamp_seconds! - Date.now() / 1000) < 60);
    assert.equal(JSON.parse((await b.cli(['status', '--json'])).stdout).backlog.files, 0);
  });

  test('live sessions are counted, and anything but GET /metrics is a 404', async () => {
    const key = join(b.dir, 'alice_key');
    const session = ssh(b.sshConfig('alice', key, { web1: LOGIN }), ['web1', 'sleep 2']);
    await until((m) => m.fumidai_sessions_live! >= 1, 'a live session');
    await session;
    await until((m) => m.fumidai_sessions_live === 0, 'the session to end');
    assert.equal((await fetch(metricsUrl.replace('/metrics', '/other'))).status, 404);
  });
});
