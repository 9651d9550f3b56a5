// Shipping to an S3-API server over HTTP (s3rver), with a recording proxy in front to see what fumidai sends:
// recordings and audit segments arrive with matching sha256 and the encryption header; an outage loses nothing and
// the backlog drains; uploaded recordings are pruned locally after the retention period. Audit segments go up as
// append-only pieces: a local segment rewritten below what was shipped is refused, and the bucket keeps the original.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { Bastion, ssh } from './helpers/fumidai.js';
import { stopChild } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import type { Store } from '../src/store/store.js';

const BUCKET = 'fumidai-logs';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('shipping', () => {
  const b = new Bastion();
  let web1: Target;
  let bucket: Bucket;
  let cfg: string;

  /** What fumidai sent: the encryption and checksum headers are asserted on its PUTs. */
  const puts = () =>
    bucket.proxy.requests
      .filter((r) => r.method === 'PUT')
      .map((r) => ({
        key: decodeURIComponent(r.url.split('?')[0]!.replace(`/${BUCKET}/`, '')),
        sse: r.headers['x-amz-server-side-encryption'] as string,
        checksum: r.headers['x-amz-checksum-sha256'] as string,
        ifNoneMatch: r.headers['if-none-match'] as string | undefined,
      }));

  const objects = async () => {
    const list = await bucket.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (list.Contents ?? []).map((o) => o.Key!);
  };
  const body = async (key: string) => Buffer.from(await (await bucket.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());

  before(async () => {
    bucket = await startBucket(BUCKET);
    await b.init(bucket.shippingConfig(600)); // rounds are driven from the CLI here; a long interval keeps the server's own rounds out of the way
    ({ target: web1, cfg } = await b.startWith('alice', 'web1'));
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await bucket?.stop();
  });

  /** A shipper over the bastion's data with a 24-hour retention, for the pruning tests (they move the clock). */
  const pruningShipper = async (store: Store) => {
    const { Shipper } = await import('../src/shipping/shipper.js');
    return new Shipper(store, { bucket: BUCKET, prefix: 'fumidai/', region: 'us-east-1', sse: 'AES256', interval: 60, retentionHours: 24 }, { recordings: join(b.data, 'recordings'), audit: join(b.data, 'audit') });
  };
  const channels = async () => {
    const out: { recordingPath: string; sha256: string }[] = [];
    for (const line of (await b.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n'))
      out.push(...JSON.parse((await b.cli(['sessions', 'show', JSON.parse(line).auditKey, '--json'])).stdout).channels);
    return out;
  };

  test('recordings and audit segments arrive with matching sha256 and the encryption header', async () => {
    assert.equal((await ssh(cfg, ['web1', 'head -c 200000 /dev/urandom | base64'])).code, 0);
    assert.equal((await ssh(cfg, ['web1', 'echo two'])).code, 0);
    const shipped = await b.cli(['ship', '--now']);
    assert.match(shipped.stdout, /shipped \d+ file\(s\); backlog 0/);
    const keys = await objects();
    const chans = await channels();
    for (const ch of chans) {
      const key = keys.find((k) => ch.recordingPath.endsWith(k.replace(/^fumidai\/recordings/, '')));
      assert.ok(key, `${ch.recordingPath} not in the bucket: ${keys.join(', ')}`);
      assert.equal(sha(await body(key)), ch.sha256, 'the object is the sealed recording');
    }
    const auditKeys = keys.filter((k) => k.startsWith('fumidai/audit/'));
    assert.ok(auditKeys.length && auditKeys.every((k) => /\/\d{4}-\d\d-\d\d\.jsonl\.d\/\d{16}$/.test(k)), keys.join(', '));
    for (const k of auditKeys) assert.ok((await body(k)).toString().includes('"eventName"'));
    const sent = puts();
    assert.ok(sent.length >= keys.length);
    assert.ok(sent.every((p) => p.sse === 'AES256'), JSON.stringify(sent));
    assert.ok(sent.every((p) => p.checksum && /^[A-Za-z0-9+/]{43}=$/.test(p.checksum)), 'a content checksum on every upload');
  });

  test('a bucket outage loses nothing: the backlog waits, then drains, no object duplicated or corrupted', async () => {
    await bucket.proxy.stop();
    assert.equal((await ssh(cfg, ['web1', 'echo during-outage'])).code, 0, 'sessions go on during the outage');
    const failed = await b.cli(['ship', '--now'], true);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /fumidai: \d+ file\(s\) could not be shipped \(.*\); they stay in the spool and are retried \(SHIP_FAILED\)/);
    const status = (await b.cli(['status'])).stdout;
    assert.match(status, /backlog: [1-9]\d* file\(s\) waiting/);
    assert.match(status, /fumidai\/recordings\/.*-exec\.bin +1 /);
    await bucket.proxy.start();
    const drained = await b.cli(['ship', '--now']);
    assert.match(drained.stdout, /backlog 0/);
    const keys = await objects();
    assert.equal(new Set(keys).size, keys.length);
    const chans = await channels();
    assert.equal(keys.filter((k) => k.startsWith('fumidai/recordings/')).length, chans.length, 'one object per recording');
    for (const ch of chans) {
      const key = keys.find((k) => ch.recordingPath.endsWith(k.replace(/^fumidai\/recordings/, '')))!;
      assert.equal(sha(await body(key)), ch.sha256);
    }
  });

  test('uploaded recordings are pruned locally after the retention period', async () => {
    const chans = await channels();
    assert.ok(chans.every((c) => existsSync(c.recordingPath)));
    const { SqliteStore } = await import('../src/store/sqlite-store.js');
    const store = new SqliteStore(join(b.data, 'fumidai.db'));
    const shipper = await pruningShipper(store);
    assert.equal(await shipper.prune(Date.now()), 0, 'not before the retention period');
    assert.equal(await shipper.prune(Date.now() + 25 * 3600 * 1000), chans.length);
    await store.close();
    assert.ok(chans.every((c) => !existsSync(c.recordingPath)));
    assert.match((await b.cli(['status'])).stdout, new RegExp(`pruned locally: ${chans.length}`));
    const key = JSON.parse((await b.cli(['sessions', 'list', '--json'])).stdout.split('\n')[0]!).auditKey as string;
    assert.match((await b.cli(['replay', key, '--no-wait'], true)).stderr, /: ENOENT; it was pruned locally after its upload: add --from-bucket \(RECORDING_UNREADABLE\)\n$/);
  });

  test("a crash's torn tail is shipped beside its recording, byte for byte, and pruned with it", async () => {
    const { SqliteStore } = await import('../src/store/sqlite-store.js');
    const { recoverUnsealed } = await import('../src/recording/recovery.js');
    // A recording as a SIGKILL leaves it: a good header and event, then half a line.
    const auditKey = '20260101T000000Z-alice-crashed01';
    const dir = join(b.data, 'recordings', '20260101', auditKey);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '01-shell.cast');
    const good = `${JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1767225600 })}\n${JSON.stringify([0.5, 'o', 'before the crash\r\n'])}\n`;
    const torn = '[0.9, "o", "half a li';
    writeFileSync(path, good + torn);
    const store = new SqliteStore(join(b.data, 'fumidai.db'));
    try {
      await store.openSession({ auditKey, user: 'alice', sourceIp: '127.0.0.1', sourcePort: 1, target: 'web1', login: LOGIN, startedAt: '2026-01-01T00:00:00Z' });
      await store.openChannel({ auditKey, channel: 1, kind: 'shell', recordingPath: path, startedAt: '2026-01-01T00:00:00Z' });
      const [repaired] = (await recoverUnsealed(store, async () => undefined)).filter((r) => r.path === path);
      assert.equal(repaired?.tornPath, `${path}.torn`);
    } finally {
      await store.close();
    }
    await b.cli(['ship', '--now']);
    const keys = await objects();
    const key = keys.find((k) => k.endsWith(`${auditKey}/01-shell.cast`))!;
    assert.equal((await body(key)).toString(), good);
    assert.equal((await body(`${key}.torn`)).toString(), torn);
    const store2 = new SqliteStore(join(b.data, 'fumidai.db'));
    const shipper = await pruningShipper(store2);
    await shipper.prune(Date.now() + 25 * 3600 * 1000);
    await store2.close();
    assert.ok(!existsSync(path) && !existsSync(`${path}.torn`), 'both pruned after the retention period');
  });

  test('replay and audit query read from the bucket alone (GET requests only), also where no data directory exists', async () => {
    assert.equal((await ssh(cfg, ['web1', 'echo from-the-bucket'])).code, 0);
    await b.cli(['ship', '--now']);
    const key = JSON.parse((await b.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').pop()!).auditKey as string;
    const local = (await b.cli(['replay', key, '--no-wait'])).stdout;
    assert.equal(local, 'from-the-bucket\n');
    const count = async (args: string[]) =>
      JSON.parse((await b.cli(['audit', 'query', '--json', "SELECT count(*) AS n FROM events WHERE eventName = 'SessionStart'", ...args])).stdout).n as number;
    const localCount = await count([]);
    const seen = bucket.proxy.requests.length;
    // With the local config (bucket, prefix and endpoint from its shipping section)...
    assert.equal((await b.cli(['replay', key, '--no-wait', '--from-bucket'])).stdout, local);
    assert.equal(await count(['--from-bucket']), localCount);
    // ...and on an auditor's machine with nothing but the flags.
    const flags = ['--data', join(b.dir, 'no-such-dir'), '--from-bucket', '--bucket', BUCKET, '--prefix', 'fumidai/', '--endpoint', bucket.endpoint];
    assert.equal((await b.cli(['replay', key, '--no-wait', ...flags])).stdout, local);
    assert.equal(await count(flags), localCount);
    const methods = bucket.proxy.requests.slice(seen).map((r) => r.method);
    assert.ok(methods.length > 0 && methods.every((m) => m === 'GET'), `read-only: ${methods.join(' ')}`);
    assert.match((await b.cli(['replay', '20990101T000000Z-nobody-0000', '--no-wait', ...flags], true)).stderr, /no session with audit key '20990101T000000Z-nobody-0000' in s3:\/\/fumidai-logs\/fumidai\/recordings\/ \(SESSION_UNKNOWN\)/);
    const down = await b.cli(['replay', key, '--no-wait', ...flags.slice(0, -1), 'http://127.0.0.1:1'], true);
    assert.match(down.stderr, /^fumidai: cannot read s3:\/\/fumidai-logs\/fumidai\/: .* \(BUCKET_UNAVAILABLE\)$/m);
  });

  /** This node's chain (not its admin chain): its directory and today's segment file. */
  const nodeSegment = () => {
    const root = join(b.data, 'audit');
    const chain = readdirSync(root).find((c) => !c.endsWith('-admin'))!;
    const file = readdirSync(join(root, chain)).filter((f) => f.endsWith('.jsonl')).sort().pop()!;
    return { chain, file, path: join(root, chain, file), pieces: `fumidai/audit/${chain}/${file}.d/` };
  };
  /** Waits until the segment ends with a signed checkpoint (at most a second after the events). */
  const checkpointed = async () => {
    for (let i = 0; i < 50 && !/"checkpoint"/.test(readFileSync(nodeSegment().path, 'utf8').trimEnd().split('\n').pop()!); i++) await new Promise((r) => setTimeout(r, 100));
  };

  test('a segment shipped in several rounds is several pieces, each sent once and never overwritten; verify --from-bucket is OK', async () => {
    for (const word of ['piece-one', 'piece-two']) {
      assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).code, 0);
      await checkpointed();
      await b.cli(['ship', '--now']);
    }
    const seg = nodeSegment();
    const pieces = (await objects()).filter((k) => k.startsWith(seg.pieces));
    assert.ok(pieces.length >= 2, `one piece per round: ${pieces.join(', ')}`);
    assert.ok(!(await objects()).includes(seg.pieces.slice(0, -3)), 'no whole-segment object');
    const local = readFileSync(seg.path);
    const bodies = await Promise.all(pieces.map(body));
    const shipped = Buffer.concat(bodies);
    assert.ok(local.subarray(0, shipped.length).equals(shipped), 'the pieces, in key order, are the segment');
    assert.deepEqual(pieces.map((k) => Number(k.slice(-16))), bodies.map((_, i) => Buffer.concat(bodies.slice(0, i)).length), 'each key names its offset');
    const sentPieces = puts().filter((p) => p.key.startsWith('fumidai/audit/'));
    assert.equal(new Set(sentPieces.map((p) => p.key)).size, sentPieces.length, 'no piece sent twice');
    assert.ok(sentPieces.every((p) => p.ifNoneMatch === '*' && p.sse === 'AES256' && p.checksum), JSON.stringify(sentPieces));
    const verify = await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings']);
    assert.match(verify.stdout, new RegExp(`^s3://${BUCKET}/fumidai/audit/${seg.chain}: OK, `, 'm'));
  });

  test('a segment rewritten below what was shipped is refused (said once, exit 3); the bucket keeps the original', async () => {
    await stopChild(b.process!); // its final checkpoint is signed and anchored
    await b.cli(['ship', '--now']);
    const seg = nodeSegment();
    const fingerprint = (await b.cli(['audit', 'key'])).stdout.split('\n')[0]!;
    const before = await Promise.all((await objects()).map(async (k) => [k, sha(await body(k))]));
    const sent = puts().length;
    // Root rewrites an early line (one byte shorter) and appends a forged one.
    const text = readFileSync(seg.path, 'utf8');
    assert.ok(text.includes('"sourceIp":"127.0.0.1"'));
    writeFileSync(seg.path, `${text.replace('"sourceIp":"127.0.0.1"', '"sourceIp":"10.6.6.6"')}{"seq":999999}\n`);
    const refused = await b.cli(['ship', '--now'], true);
    assert.equal(refused.code, 3, refused.stderr);
    assert.equal(refused.stderr, `fumidai: audit trail tampered: audit segment ${seg.path} changed below what was already shipped (its first ${Buffer.byteLength(text)} bytes are not those shipped); it is not shipped again, the bucket keeps what it has (AUDIT_TAMPERED)\n`);
    assert.deepEqual(puts().slice(sent), [], 'nothing sent');
    assert.deepEqual(await Promise.all((await objects()).map(async (k) => [k, sha(await body(k))])), before, 'the bucket as it was');
    assert.match((await b.cli(['status'])).stdout, new RegExp(`^refused: audit segment ${seg.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} changed below`, 'm'));
    const again = await b.cli(['ship', '--now']);
    assert.equal(again.stderr, '', 'said once');
    // The bucket's copy still verifies against the pinned key; the local trail does not.
    const bucketVerify = await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings', '--fingerprint', fingerprint]);
    assert.match(bucketVerify.stdout, new RegExp(`^s3://${BUCKET}/fumidai/audit/${seg.chain}: OK, `, 'm'));
    const localVerify = await b.cli(['audit', 'verify', '--no-recordings', '--fingerprint', fingerprint], true);
    assert.equal(localVerify.code, 3);
    assert.match(localVerify.stderr, new RegExp(`audit trail tampered: ${seg.chain}/${seg.file}: line \\d+: modified`));
  });
});

describe('audit segment pieces in a bucket that refuses overwrites (If-None-Match: *)', () => {
  const NAME = 'fumidai-pieces';
  let bucket: Bucket;
  let store: Store;
  let dir: string;
  const segment = (day: string) => join(dir, 'audit', 'n1', `${day}.jsonl`);
  const pieceKeys = async (day: string) =>
    ((await bucket.client.send(new ListObjectsV2Command({ Bucket: NAME, Prefix: `p/audit/n1/${day}.jsonl` }))).Contents ?? []).map((o) => o.Key!);
  const get = async (Key: string) => (await (await bucket.client.send(new GetObjectCommand({ Bucket: NAME, Key }))).Body!.transformToString());
  /** One round as the server runs it, over `spool` (the store, or one that fails as a crash would). */
  const round = async (spool: Store = store) => {
    const { Shipper } = await import('../src/shipping/shipper.js');
    const { s3Client } = await import('../src/shipping/s3-client.js');
    const cfg = { bucket: NAME, prefix: 'p/', region: 'us-east-1', endpoint: bucket.endpoint, sse: 'AES256' as const, interval: 60, retentionHours: 24 };
    const shipper = new Shipper(spool, cfg, { recordings: join(dir, 'recordings'), audit: join(dir, 'audit') }, s3Client(cfg));
    await shipper.scan();
    return shipper.ship({ force: true });
  };
  /** The store, but the update that would record a sent piece fails: the process died after the upload. */
  const crashing = () =>
    new Proxy(store, {
      get: (t, k) =>
        k === 'spoolUpdate'
          ? (path: string, f: { pieces?: boolean }) => (f.pieces ? Promise.reject(new Error('killed')) : t.spoolUpdate(path, f))
          : (t[k as keyof Store] as (...a: unknown[]) => unknown).bind(t),
    });
  const item = async (day: string) => (await store.spoolList()).find((i) => i.path === segment(day))!;

  before(async () => {
    const { SqliteStore } = await import('../src/store/sqlite-store.js');
    bucket = await startBucket(NAME);
    dir = mkdtempSync(join(tmpdir(), 'fumidai-pieces-'));
    mkdirSync(join(dir, 'audit', 'n1'), { recursive: true });
    store = new SqliteStore(join(dir, 'fumidai.db'));
  });
  after(async () => {
    await store?.close();
    await bucket?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a piece sent before a crash goes again: 412 on the same bytes is success, on fewer (the file grew) too', async () => {
    writeFileSync(segment('2026-01-01'), '{"seq":1}\n{"seq":2}\n');
    assert.equal((await round(crashing())).failed.length, 1, 'sent, but not recorded');
    assert.deepEqual(await pieceKeys('2026-01-01'), ['p/audit/n1/2026-01-01.jsonl.d/0000000000000000']);
    const refusals = bucket.proxy.preconditionFailed;
    const r = await round();
    assert.deepEqual([r.shipped, r.failed, r.refused], [1, [], []]);
    assert.equal(bucket.proxy.preconditionFailed, refusals + 1, 'the bucket said 412');
    assert.equal(await get('p/audit/n1/2026-01-01.jsonl.d/0000000000000000'), '{"seq":1}\n{"seq":2}\n');
    assert.deepEqual([(await item('2026-01-01')).shippedSize, (await item('2026-01-01')).pieces], [20, true]);
    // Sent, crashed, and the segment grew before the next round: the piece there is adopted, the rest is a new one.
    writeFileSync(segment('2026-01-01'), '{"seq":1}\n{"seq":2}\n{"seq":3}\n{"se');
    assert.equal((await round(crashing())).failed.length, 1);
    writeFileSync(segment('2026-01-01'), '{"seq":1}\n{"seq":2}\n{"seq":3}\n{"seq":4}\n');
    const grown = await round();
    assert.deepEqual([grown.failed, grown.refused], [[], []]);
    assert.deepEqual(await pieceKeys('2026-01-01'), ['0', '20', '30'].map((o) => `p/audit/n1/2026-01-01.jsonl.d/${o.padStart(16, '0')}`));
    assert.deepEqual(await Promise.all((await pieceKeys('2026-01-01')).map(get)), ['{"seq":1}\n{"seq":2}\n', '{"seq":3}\n', '{"seq":4}\n']);
  });

  test('other bytes already under the next piece: refused once, and what the bucket holds stays', async () => {
    writeFileSync(segment('2026-01-02'), '{"seq":1}\n');
    await round();
    const key = 'p/audit/n1/2026-01-02.jsonl.d/0000000000000010';
    await bucket.client.send(new PutObjectCommand({ Bucket: NAME, Key: key, Body: '{"seq":2,"x":"other"}\n' }));
    writeFileSync(segment('2026-01-02'), '{"seq":1}\n{"seq":2}\n');
    const r = await round();
    assert.equal(r.refused.length, 1);
    assert.match(r.refused[0]!.error, /^audit segment \S+2026-01-02\.jsonl: p\/audit\/n1\/2026-01-02\.jsonl\.d\/0000000000000010 already holds other bytes than the segment's from offset 10/);
    assert.equal(await get(key), '{"seq":2,"x":"other"}\n', 'not overwritten');
    assert.equal((await item('2026-01-02')).state, 'refused');
    writeFileSync(segment('2026-01-02'), '{"seq":1}\n{"seq":2}\n{"seq":3}\n');
    assert.deepEqual((await round()).refused, [], 'said once');
    assert.deepEqual(await pieceKeys('2026-01-02'), ['p/audit/n1/2026-01-02.jsonl.d/0000000000000000', key]);
  });

  test('a segment an earlier version uploaded whole is checked, then sent again as pieces from its start', async () => {
    const whole = async (day: string, shipped: string, now: string) => {
      writeFileSync(segment(day), now);
      await store.spoolAdd({ path: segment(day), objectKey: `p/audit/n1/${day}.jsonl`, kind: 'audit' });
      await store.spoolUpdate(segment(day), { state: 'shipped', shippedSize: shipped.length, sha256: sha(Buffer.from(shipped)) });
      await bucket.client.send(new PutObjectCommand({ Bucket: NAME, Key: `p/audit/n1/${day}.jsonl`, Body: shipped }));
    };
    await whole('2026-01-03', '{"seq":1}\n', '{"seq":1}\n{"seq":2}\n');
    await whole('2026-01-04', '{"seq":1}\n', '{"seq":7}\n{"seq":2}\n'); // rewritten after the old upload
    const r = await round();
    assert.deepEqual(r.refused.map((x) => x.path), [segment('2026-01-04')]);
    assert.match(r.refused[0]!.error, /changed below what was already shipped \(its first 10 bytes are not those shipped\)/);
    assert.deepEqual(await pieceKeys('2026-01-03'), ['p/audit/n1/2026-01-03.jsonl', 'p/audit/n1/2026-01-03.jsonl.d/0000000000000000']);
    assert.equal(await get('p/audit/n1/2026-01-03.jsonl.d/0000000000000000'), '{"seq":1}\n{"seq":2}\n');
    assert.deepEqual(await pieceKeys('2026-01-04'), ['p/audit/n1/2026-01-04.jsonl'], 'nothing of the rewritten one');
  });
});
