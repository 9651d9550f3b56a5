// Reading back from the bucket (s3rver over HTTP, behind a proxy that notes every request): after the local
// recordings and audit trail are gone, `replay --from-bucket` prints what the local replay printed, byte for byte,
// and `audit query --from-bucket` counts the same events; only read requests (GET) reach the bucket, and no data
// directory is needed when the bucket is given by flags. Audit segments are read from their append-only pieces (a
// missing piece is named), and from the whole objects earlier versions uploaded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { Bastion, BIN, ROOT, ssh } from './helpers/fumidai.js';
import { run, stopChild } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { bundleFromPage } from '../src/evidence/bundle.js';

const BUCKET = 'fumidai-audit-read';
const PTY = join(ROOT, 'test/helpers/pty_drive.py');

interface Bytes {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

describe('reading back from the bucket', () => {
  const b = new Bastion();
  let web1: Target;
  let bucket: Bucket;
  const keys: string[] = [];
  const localReplay = new Map<string, Bytes>();
  let localCount = 0;
  const get = async (Key: string) => Buffer.from(await (await bucket.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToByteArray());
  const put = (Key: string, Body: Buffer) => bucket.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
  const del = (Key: string) => bucket.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }));
  const objects = async () => ((await bucket.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!);
  /** The node chain's segment (not the admin chain's): its pieces, in byte order. */
  const nodePieces = async () => (await objects()).filter((k) => /\/audit\/[^/]+\/\d{4}-\d\d-\d\d\.jsonl\.d\/\d{16}$/.test(k) && !k.includes('-admin/'));

  /** The CLI with its output as bytes (replay prints raw terminal output, not always UTF-8). */
  const cli = (args: string[]) =>
    new Promise<Bytes>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, FUMIDAI_DATA: b.data }, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) })));
    });

  before(async () => {
    bucket = await startBucket(BUCKET);
    await b.init(bucket.shippingConfig(600)); // shipped from the CLI below
    web1 = await b.addTarget('web1');
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    const cfg = b.sshConfig('alice', key, { web1: LOGIN });
    // A terminal session whose output is partly not UTF-8 (its exact bytes live in "b" events), and an exec session
    // with stdout and stderr and enough output to span many chunks.
    const script = JSON.stringify([
      { expect: '\\$ ' },
      { send: "printf 'caf\\303\\251 \\377\\376 raw \\033[1mbold\\033[0m\\n'; echo done-$((40+2))\r" },
      { expect: 'done-42' },
      { send: 'exit\r' },
    ]);
    assert.equal((await run('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1'], { timeoutMs: 30_000 })).code, 0);
    assert.match((await b.cli(['ship', '--now'])).stdout, /backlog 0/); // the segment so far: its first piece
    assert.equal((await ssh(cfg, ['web1', "printf 'out\\377\\n'; echo err-text >&2; head -c 300000 /dev/urandom | base64; echo tail-line"])).code, 0);
    for (const line of (await b.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n')) keys.push(JSON.parse(line).auditKey);
    assert.equal(keys.length, 2);
    // The server stops, so the trail is complete and checkpointed; then everything goes up, and the local copies go.
    await stopChild(b.process!);
    for (const k of keys) localReplay.set(k, await cli(['replay', k, '--no-wait']));
    assert.match((await b.cli(['ship', '--now'])).stdout, /backlog 0/);
    localCount = Number(JSON.parse((await b.cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json'])).stdout).n);
    await b.cli(['evidence', 'export', keys[1]!, '-o', join(b.dir, 'local.html')]); // compared with the bucket's below
    rmSync(join(b.data, 'recordings'), { recursive: true });
    rmSync(join(b.data, 'audit'), { recursive: true });
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await bucket?.stop();
  });

  test('replay --from-bucket prints what the local replay printed, byte for byte, with read requests only', async () => {
    for (const k of keys) {
      const local = localReplay.get(k)!;
      assert.equal(local.code, 0, local.stderr.toString());
      assert.ok(local.stdout.length > 0);
      const gone = await cli(['replay', k, '--no-wait']);
      assert.equal(gone.code, 1, 'the local recordings are gone');
      assert.match(gone.stderr.toString(), /\(RECORDING_UNREADABLE\)/);
      const seen = bucket.proxy.requests.length;
      const r = await cli(['replay', k, '--from-bucket', '--no-wait']);
      assert.equal(r.code, 0, r.stderr.toString());
      assert.ok(r.stdout.equals(local.stdout), `stdout of ${k} differs (${r.stdout.length} bytes, local ${local.stdout.length})`);
      assert.ok(r.stderr.equals(local.stderr), `stderr of ${k} differs: ${r.stderr}`);
      const made = bucket.proxy.requests.slice(seen);
      assert.ok(made.length >= 2 && made.every((q) => q.method === 'GET'), JSON.stringify(made));
      assert.ok(made.some((q) => /[?&]list-type=2/.test(q.url)), 'found by listing, not through a local index');
    }
    const shown = Buffer.concat(keys.map((k) => localReplay.get(k)!.stdout)).toString('latin1');
    assert.ok(shown.includes('caf\xc3\xa9 \xff\xfe raw'), 'the bytes that were not UTF-8 came back exact');
    assert.ok(Buffer.concat(keys.map((k) => localReplay.get(k)!.stderr)).toString().includes('err-text'));
  });

  test('no data directory is needed when flags say where the bucket is', async () => {
    const elsewhere = join(b.dir, 'no-such-data-dir');
    const flags = ['--from-bucket', '--bucket', BUCKET, '--endpoint', bucket.endpoint, '--prefix', 'fumidai/', '--data', elsewhere];
    const r = await cli(['replay', keys[1]!, '--no-wait', ...flags]);
    assert.equal(r.code, 0, r.stderr.toString());
    assert.ok(r.stdout.equals(localReplay.get(keys[1]!)!.stdout));
    const q = await cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json', ...flags]);
    assert.equal(q.code, 0, q.stderr.toString());
    assert.equal(Number(JSON.parse(q.stdout.toString()).n), localCount);
    const none = await cli(['replay', keys[1]!, '--no-wait', '--data', elsewhere, '--from-bucket']);
    assert.match(none.stderr.toString(), /^fumidai: no bucket: give --bucket NAME .* \(ARGUMENT_INVALID\)\n$/);
  });

  test('evidence export --from-bucket, with no data directory: the same proof and recordings as the local page, valid with the pinned key', async () => {
    const flags = ['--from-bucket', '--bucket', BUCKET, '--endpoint', bucket.endpoint, '--data', join(b.dir, 'no-such-data-dir')];
    const keyFile = join(b.dir, 'audit-key.pem');
    const printed = (await b.cli(['audit', 'key'])).stdout;
    writeFileSync(keyFile, printed);
    const local = join(b.dir, 'local.html');
    const shipped = join(b.dir, 'shipped.html');
    const none = await cli(['evidence', 'export', keys[1]!, '-o', shipped, ...flags]);
    assert.match(none.stderr.toString(), /^fumidai: no data directory here to take the audit key from: give --key FILE .*\(ARGUMENT_INVALID\)\n$/);
    const r = await cli(['evidence', 'export', keys[1]!, '-o', shipped, '--key', keyFile, ...flags]);
    assert.equal(r.code, 0, r.stderr.toString());
    const [a, c] = [local, shipped].map((f) => bundleFromPage(readFileSync(f, 'utf8'))!);
    assert.deepEqual(c.ranges, a.ranges);
    assert.deepEqual(c.recordings, a.recordings);
    const v = await b.cli(['evidence', 'verify', shipped, '--fingerprint', printed.split('\n', 1)[0]!], true);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(readFileSync(shipped, 'utf8'), /<td>alice from 127\.0\.0\.1<\/td>/);
  });

  test('audit query --from-bucket runs the same view over the shipped segments', async () => {
    assert.ok(localCount > 10, `events before the local trail was removed: ${localCount}`);
    const local = await cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json']);
    assert.equal(Number(JSON.parse(local.stdout.toString()).n), 0, 'nothing left locally');
    const q = async (sql: string, ...extra: string[]) => {
      const r = await cli(['audit', 'query', sql, '--json', '--from-bucket', ...extra]);
      assert.equal(r.code, 0, r.stderr.toString());
      return r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    };
    assert.equal(Number((await q('SELECT count(*) AS n FROM events'))[0]!.n), localCount);
    const starts = await q("SELECT sessionId, filename FROM events WHERE eventName = 'SessionStart' ORDER BY sessionId");
    assert.deepEqual(starts.map((s) => s.sessionId), [...keys].sort());
    assert.ok(starts.every((s) => /^s3:\/\/fumidai-audit-read\/fumidai\/audit\/[^/]+\/\d{4}-\d\d-\d\d\.jsonl$/.test(s.filename!)), JSON.stringify(starts));
    assert.ok((await q("SELECT details->>'command' AS c FROM events WHERE eventName = 'ChannelOpen'")).some((r) => /tail-line/.test(r.c ?? '')));
    // --since/--until select events (and fetch only the days they span).
    assert.equal(Number((await q('SELECT count(*) AS n FROM events', '--since', '2000-01-01T00:00:00Z', '--until', '2000-01-02T00:00:00Z'))[0]!.n), 0);
    assert.equal(Number((await q('SELECT count(*) AS n FROM events', '--since', '2000-01-01T00:00:00Z'))[0]!.n), localCount);
  });

  test('an unknown session, a bad audit key and an unreachable bucket are one line each', async () => {
    const unknown = await cli(['replay', '20200101T000000Z-alice-0123456789', '--from-bucket']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr.toString(), "fumidai: no session with audit key '20200101T000000Z-alice-0123456789' in s3://fumidai-audit-read/fumidai/recordings/ (SESSION_UNKNOWN)\n");
    assert.match((await cli(['replay', '../x', '--from-bucket'])).stderr.toString(), /is not an audit key .*\(ARGUMENT_INVALID\)\n$/);
    assert.match((await cli(['replay', keys[0]!, '--prefix', 'x/'])).stderr.toString(), /--prefix says where to read from the bucket: add --from-bucket \(ARGUMENT_INVALID\)/);
    await bucket.proxy.stop();
    try {
      for (const args of [['replay', keys[0]!, '--from-bucket'], ['audit', 'query', 'SELECT 1', '--from-bucket']]) {
        const down = await cli(args);
        assert.equal(down.code, 1);
        assert.match(down.stderr.toString(), /^fumidai: cannot read s3:\/\/fumidai-audit-read\/fumidai\/: .*ECONNREFUSED.* \(BUCKET_UNAVAILABLE\)\n$/);
      }
    } finally {
      await bucket.proxy.start();
    }
  });

  test('audit verify --from-bucket checks the shipped chains and every recording object; an edited object is named', async () => {
    const ok = await b.cli(['audit', 'verify', '--from-bucket']);
    assert.match(ok.stdout, /^s3:\/\/fumidai-audit-read\/fumidai\/audit\/\S+: OK, \d+ events in 1 segments, [1-9]\d* signed checkpoints$/m);
    assert.match(ok.stdout, /^recordings: 2 sealed, 2 in the bucket match their sealed sha256, 0 modified, 0 missing$/m);
    // An auditor's machine: no data directory, the public key from a trusted copy.
    const flags = ['--from-bucket', '--bucket', BUCKET, '--endpoint', bucket.endpoint, '--data', join(b.dir, 'elsewhere')];
    assert.equal((await b.cli(['audit', 'verify', ...flags, '--key', join(b.data, 'audit_ed25519_key.pub')])).code, 0);
    assert.match((await b.cli(['audit', 'verify', ...flags], true)).stderr, /give --key audit_ed25519_key\.pub .* \(ARGUMENT_INVALID\)/);

    // Someone with write access to the bucket edits a recording and an audit line (the same length: no piece moves).
    const recording = (await objects()).find((k) => k.endsWith('-exec.bin'))!;
    let segment = '';
    for (const k of await nodePieces()) if (!segment && (await get(k)).includes('"sourceIp":"127.0.0.1"')) segment = k;
    const [recBefore, segBefore] = [await get(recording), await get(segment)];
    try {
      const edited = Buffer.from(recBefore);
      edited[edited.length - 2] ^= 1;
      await put(recording, edited);
      await put(segment, Buffer.from(segBefore.toString().replace('"sourceIp":"127.0.0.1"', '"sourceIp":"10.6.6.66"')));
      const bad = await b.cli(['audit', 'verify', '--from-bucket'], true);
      assert.equal(bad.code, 3);
      assert.match(bad.stderr, /^fumidai: audit trail tampered: s3:\/\/fumidai-audit-read\/fumidai\/audit\/\S+\.jsonl: line \d+: modified: .* \(AUDIT_TAMPERED\)$/m);
      assert.doesNotMatch(bad.stderr, /missing from the bucket|overlaps/);
      assert.match(bad.stderr, new RegExp(`^fumidai: recording tampered: s3://${BUCKET}/${recording.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(session \\S+, channel 1: sha256 .* \\(same size\\)\\) \\(RECORDING_TAMPERED\\)$`, 'm'));
    } finally {
      await put(recording, recBefore);
      await put(segment, segBefore);
    }
  });

  test('a segment shipped in two rounds is two pieces; one missing is named, and verify --from-bucket exits 3', async () => {
    const pieces = await nodePieces();
    assert.ok(pieces.length >= 2, pieces.join(', '));
    assert.equal((await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings'])).code, 0);
    const gone = pieces[0]!; // the last one missing is a cut tail, for the anchors to find
    const bytes = await get(gone);
    const offset = Number(gone.slice(-16));
    await del(gone);
    try {
      const r = await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings'], true);
      assert.equal(r.code, 3);
      const segment = gone.replace(/\.d\/\d{16}$/, '');
      assert.ok(r.stderr.split('\n').includes(`fumidai: audit trail tampered: s3://${BUCKET}/${segment}: bytes ${offset} to ${offset + bytes.length} are missing from the bucket (no piece at offset ${offset}) (AUDIT_TAMPERED)`), r.stderr);
      const q = await cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json', '--from-bucket']);
      assert.match(q.stderr.toString(), /^warning: s3:\/\/\S+: bytes \d+ to \d+ are missing from the bucket/m, 'a query says what it could not read');
    } finally {
      await put(gone, bytes);
    }
  });

  test('whole segments uploaded by an earlier version are still read; beside pieces, the pieces count', async () => {
    const pieces = (await objects()).filter((k) => /\.jsonl\.d\/\d{16}$/.test(k));
    const segments = new Map<string, Buffer[]>();
    for (const k of pieces) segments.set(k.replace(/\.d\/\d{16}$/, ''), [...(segments.get(k.replace(/\.d\/\d{16}$/, '')) ?? []), await get(k)]);
    const saved = new Map(await Promise.all(pieces.map(async (k) => [k, await get(k)] as const)));
    try {
      // A stale whole object beside the pieces (an earlier version's last upload, or a rewrite): not read.
      for (const key of segments.keys()) await put(key, Buffer.from('{"seq":1}\n'));
      assert.equal((await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings'])).code, 0);
      // Only whole objects, as an earlier version left them.
      for (const [key, parts] of segments) await put(key, Buffer.concat(parts));
      for (const k of pieces) await del(k);
      const ok = await b.cli(['audit', 'verify', '--from-bucket', '--no-recordings']);
      assert.match(ok.stdout, /^s3:\/\/fumidai-audit-read\/fumidai\/audit\/\S+: OK, \d+ events in 1 segments/m);
      const q = await cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json', '--from-bucket']);
      assert.equal(Number(JSON.parse(q.stdout.toString()).n), localCount);
    } finally {
      for (const key of segments.keys()) await del(key);
      for (const [k, v] of saved) await put(k, v);
    }
  });
});
