// The audit trail from real ssh sessions: every step an event with the right fields, SQL over it, verification that
// catches an edited line, exports DuckDB reads back, a report with denials and MFA logins, sshd-style lines. Then the
// signing key: never made anew by itself, a swapped one refused at start, a re-signed trail caught by a pinned key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { GENESIS, isV2, keyFingerprint, lineHash, signCheckpoint, signCheckpointBody, type Checkpoint, type CheckpointV1 } from '../src/audit/chain.js';
import { Bastion, BIN, ROOT, ssh } from './helpers/fumidai.js';
import { run, stopChild } from './helpers/proc.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('audit trail', () => {
  const b = new Bastion();
  let web1: Target;
  let cfg: string;
  let secret: string;
  let aliceKey: string;
  const sql = async (q: string) =>
    (await b.cli(['audit', 'query', '--json', q])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);

  before(async () => {
    await b.init({ 'idleTimeout: 900': 'idleTimeout: 3', 'warning: 60': 'warning: 1' });
    web1 = await b.addTarget('web1');
    aliceKey = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.addUser('bob');
    await b.cli(['grant', 'bob', 'web1']);
    secret = /secret=([A-Z2-7]+)/.exec((await b.cli(['mfa', 'enroll', 'alice', '--no-qr'])).stdout)![1]!;
    await b.start();
    cfg = b.sshConfig('alice', aliceKey, { web1: LOGIN }, ['BatchMode no', 'NumberOfPasswordPrompts 1']);
    // The sessions the assertions below look at: an MFA login with exec, a denied login, an unknown key, an idle pty.
    const code = (await run('oathtool', ['--totp', '-b', secret])).stdout.trim();
    const ok = await run('sshpass', ['-P', 'Verification code', '-p', code, 'ssh', '-F', cfg, 'web1', 'echo hi; exit 4'], { timeoutMs: 30_000 });
    assert.equal(ok.code, 4, ok.stderr);
    const bobCfg = b.sshConfig('bob', join(b.dir, 'bob_key'), { web1: LOGIN });
    assert.match((await ssh(bobCfg, ['-l', 'root@web1', 'bastion', 'true'])).stderr, /ACCESS_DENIED/);
    const { priv } = await keygen(join(b.dir, 'stranger'));
    await ssh(b.sshConfig('mallory', priv), ['-l', 'web1', 'bastion', 'true']);
    const idle = await run('python3', [PTY, '24', '80', JSON.stringify([{ expect: '\\$ ' }, { expect: 'IDLE_TIMEOUT', timeout: 15 }]), '--', 'ssh', '-F', bobCfg, '-tt', 'web1'], { timeoutMs: 30_000 });
    assert.equal(idle.code, 255);
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
  });

  test('every step is an event with who, when, from where, to where and the result', async () => {
    const rows = await sql(`SELECT eventName, eventCode, "user", sourceIp, target, login, result, reason, sessionId, details FROM events ORDER BY seq`);
    const names = new Set(rows.map((r) => r.eventName));
    for (const n of ['ConnectionOpened', 'AuthPartial', 'MfaSuccess', 'AuthSuccess', 'AuthFailure', 'PolicyDenied', 'SessionStart', 'TargetConnect', 'HostKeyPinned', 'ChannelOpen', 'SessionEnd', 'RecordingSealed', 'IdleTimeout', 'ConnectionClosed'])
      assert.ok(names.has(n), `${n} missing from ${[...names].join(', ')}`);
    const exec = rows.find((r) => r.eventName === 'ChannelOpen' && r.user === 'alice')!;
    assert.equal(JSON.parse(exec.details).command, 'echo hi; exit 4');
    assert.equal(exec.target, 'web1');
    assert.equal(exec.login, LOGIN);
    assert.equal(exec.sourceIp, '127.0.0.1');
    assert.match(exec.sessionId, /-alice-/);
    const end = rows.find((r) => r.eventName === 'SessionEnd' && r.user === 'alice')!;
    assert.equal(JSON.parse(end.details).exitStatus, 4);
    const denied = rows.find((r) => r.eventName === 'PolicyDenied')!;
    assert.deepEqual([denied.user, denied.target, denied.login, denied.result], ['bob', 'web1', 'root', 'failure']);
    assert.match(denied.reason, /may not log in as 'root'/);
    const unknown = rows.find((r) => r.eventName === 'AuthFailure' && r.reason === 'unknown key')!;
    assert.equal(JSON.parse(unknown.details).sshUser, 'web1');
    assert.match(JSON.parse(unknown.details).fingerprint, /^SHA256:/);
    assert.ok(rows.find((r) => r.eventName === 'AuthSuccess' && r.user === 'alice' && JSON.parse(r.details).method === 'publickey+totp'));
    assert.equal(new Set(rows.map((r) => r.eventCode)).size, new Set(rows.map((r) => r.eventName)).size, 'one code per event name');
    const admin = await sql(`SELECT "user", reason FROM events WHERE eventName = 'AdminChange' ORDER BY seq`);
    assert.deepEqual(admin.map((r) => r.reason), ['target add web1', 'user add alice', 'grant alice fumidaitest@web1', 'user add bob', 'grant bob fumidaitest@web1', 'mfa enroll alice']);
    assert.ok(admin.every((r) => r.user), 'who made the change');
    assert.doesNotMatch(readdirSync(join(b.data, 'audit')).map((d) => readdirSync(join(b.data, 'audit', d)).map((f) => readFileSync(join(b.data, 'audit', d, f), 'utf8')).join('')).join(''), new RegExp(secret), 'no secret in the trail');
  });

  test('sshd-style lines for SIEMs, tail with filters', async () => {
    assert.match(b.log, /^Accepted publickey\+totp for alice from 127\.0\.0\.1 port \d+ ssh2: ssh-ed25519 SHA256:\S+$/m);
    assert.match(b.log, /^Failed publickey for invalid user web1 from 127\.0\.0\.1 port \d+ ssh2: SHA256:\S+ \(unknown key\)$/m);
    const tail = (await b.cli(['audit', 'tail', '--user', 'bob', '--event', 'PolicyDenied'])).stdout.trim().split('\n');
    assert.equal(tail.length, 1);
    assert.match(tail[0]!, /PolicyDenied {2}bob {2}127\.0\.0\.1 {2}root@web1 .* may not log in as 'root'/);
  });

  test('export to parquet, csv and jsonl, read back by DuckDB', async () => {
    // Sessions of the other tests may still be closing: compare against a cut-off in the past, then both agree.
    const until = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 500));
    const total = Number((await sql(`SELECT count(*) AS n FROM events WHERE eventTime < '${until}'::TIMESTAMPTZ`))[0]!.n);
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    for (const [format, reader] of [['parquet', 'read_parquet'], ['csv', 'read_csv'], ['jsonl', 'read_json']] as const) {
      const out = join(b.dir, `events.${format}`);
      await b.cli(['audit', 'export', '--format', format, '--until', until, out]);
      const n = (await db.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT eventName) AS names FROM ${reader}('${out}')`)).getRowObjectsJS()[0]!;
      assert.equal(Number(n.n), total, format);
      assert.ok(Number(n.names) > 5);
    }
    const none = join(b.dir, 'none.csv');
    await b.cli(['audit', 'export', '--format', 'csv', '--since', '2099-01-01T00:00:00Z', none]);
    assert.equal(readFileSync(none, 'utf8').trim().split('\n').length, 1, 'header only');
  });

  test('report lists the denied attempt and the MFA login, with verification on top', async () => {
    const md = (await b.cli(['report', '--since', '2000-01-01T00:00:00Z', '--until', '2100-01-01T00:00:00Z'])).stdout;
    assert.match(md, /\*\*Audit trail verification: PASSED\*\*/);
    assert.match(md, /## Denied attempts[\s\S]*PolicyDenied \| bob \| 127\.0\.0\.1 \| web1 \| user 'bob' may not log in as 'root' on 'web1'/);
    assert.match(md, /## Logins with a second factor\n\n\| eventTime \| user \| sourceIp \|\n\|---\|---\|---\|\n\| \S+ \| alice \| 127\.0\.0\.1 \|/);
    assert.match(md, /## Access per user[\s\S]*\| alice \| 1 \| web1 \| 127\.0\.0\.1 \| \S+ \| \S+ \| 1 \| 0 \| 0 \|/);
    const html = (await b.cli(['report', '--since', '2000-01-01T00:00:00Z', '--until', '2100-01-01T00:00:00Z', '--format', 'html'])).stdout;
    assert.match(html, /<h2>Idle disconnects and ended sessions<\/h2>\s*<table[^]*?IdleTimeout/);
  });

  test('verify checks each recording against the sha256 its sealing event holds: an edited or deleted one is named', async () => {
    const sealed = b.events('RecordingSealed');
    assert.ok(sealed.length >= 2, 'the sessions above were recorded');
    const ok = await b.cli(['audit', 'verify']);
    assert.match(ok.stdout, new RegExp(`recordings: ${sealed.length} sealed, ${sealed.length} match their sealed sha256, 0 pruned after upload, 0 modified, 0 missing`));
    const [edited, deleted] = sealed.map((e) => String(e.path));
    const original = readFileSync(edited!);
    const copy = Buffer.from(original);
    copy[copy.length - 3] ^= 1; // one bit, far from the header
    writeFileSync(edited!, copy);
    const removed = readFileSync(deleted!);
    rmSync(deleted!);
    try {
      const bad = await b.cli(['audit', 'verify'], true);
      assert.equal(bad.code, 3);
      assert.match(bad.stderr, new RegExp(`^fumidai: recording tampered: ${edited!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(session \\S+, channel \\d+: sha256 \\w+… differs from the sealed \\w+… \\(same size\\)\\) \\(RECORDING_TAMPERED\\)$`, 'm'));
      assert.match(bad.stderr, /^fumidai: recording deleted: .* \(session \S+, channel \d+: gone, and never uploaded\) \(RECORDING_TAMPERED\)$/m);
      assert.match(bad.stdout, /1 modified, 1 missing/);
      assert.equal((await b.cli(['audit', 'verify', '--no-recordings'])).code, 0, 'the chain itself is intact');
    } finally {
      writeFileSync(edited!, original);
      writeFileSync(deleted!, removed);
    }
  });

  test('verify passes on the untouched trail and names an edited line', async () => {
    const ok = await b.cli(['audit', 'verify']);
    assert.match(ok.stdout, /OK, \d+ events in 1 segments/);
    const chainDir = readdirSync(join(b.data, 'audit')).find((d) => !d.endsWith('-admin'))!;
    const file = join(b.data, 'audit', chainDir, readdirSync(join(b.data, 'audit', chainDir))[0]!);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/"sourceIp":"127\.0\.0\.1"/, '"sourceIp":"10.9.9.9"');
    writeFileSync(file, lines.join('\n'));
    const bad = await b.cli(['audit', 'verify'], true);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, new RegExp(`fumidai: audit trail tampered: ${chainDir}/\\d{4}-\\d\\d-\\d\\d\\.jsonl: line 4: modified: .* \\(AUDIT_TAMPERED\\)`));
  });
});

/** What an insider with root does after swapping the key: every checkpoint signed again, the lines after each re-linked. */
function resignTrail(auditDir: string, key: KeyObject): number {
  let signed = 0;
  for (const chain of readdirSync(auditDir)) {
    let prev = GENESIS;
    let prevCheckpoint = GENESIS;
    for (const segment of readdirSync(join(auditDir, chain)).filter((f) => f.endsWith('.jsonl')).sort()) {
      const file = join(auditDir, chain, segment);
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((text) => {
        const line = JSON.parse(text) as { prev: string; checkpoint?: Checkpoint | CheckpointV1 };
        line.prev = prev;
        const c = line.checkpoint;
        if (c && isV2(c)) {
          const { signature: _, ...body } = c;
          line.checkpoint = signCheckpointBody(key, { ...body, last: prev, prevCheckpoint, keyFingerprint: keyFingerprint(key) });
          signed++;
        } else if (c) {
          c.last = prev;
          c.signature = signCheckpoint(key, c.segment, c.lines, prev);
          signed++;
        }
        const out = JSON.stringify(line);
        prev = lineHash(out);
        if (c) prevCheckpoint = prev;
        return out;
      });
      writeFileSync(file, lines.join('\n') + '\n');
    }
  }
  return signed;
}

describe('audit signing key', () => {
  const b = new Bastion();
  const keyFile = () => join(b.data, 'audit_ed25519_key');
  let fingerprint: string;
  let originalPub: string;
  /** `serve` that must refuse: a start that wrongly succeeds is killed after 10 s. */
  const serve = () => run(process.execPath, [BIN, 'serve', '--data', b.data, '--listen', '127.0.0.1:0'], { timeoutMs: 10_000 });
  const newKeyPem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });

  before(async () => {
    const init = await b.cli(['init']);
    fingerprint = /^audit signing key: (SHA256:[A-Za-z0-9+/]{43}) {2}\(give this to your auditors: audit verify --fingerprint checks the trail against it\)$/m.exec(init.stdout)?.[1] ?? '';
    await b.addUser('alice'); // an AdminChange: the admin chain ends with a signed checkpoint
    await b.start();
    const { priv } = await keygen(join(b.dir, 'stranger'));
    await ssh(b.sshConfig('mallory', priv), ['bastion', 'true']); // events in the node's chain
    await b.waitForEvents('AuthFailure', 1);
    await stopChild(b.process!); // a clean stop ends the segment with a signed checkpoint
    originalPub = join(b.dir, 'original.pub');
    writeFileSync(originalPub, (await b.cli(['audit', 'key'])).stdout);
  });
  after(() => b.stop());

  test('init prints the fingerprint; audit key prints it with the PEM; verify accepts it pinned', async () => {
    assert.match(fingerprint, /^SHA256:/, 'init printed the fingerprint');
    const shown = (await b.cli(['audit', 'key'])).stdout.split('\n');
    assert.equal(shown[0], fingerprint);
    assert.equal(shown[1], '-----BEGIN PUBLIC KEY-----');
    for (const pin of [['--fingerprint', fingerprint], ['--key', originalPub]]) {
      const ok = await b.cli(['audit', 'verify', ...pin]);
      assert.equal(ok.code, 0);
      assert.match(ok.stdout, /-admin: OK, 1 events in 1 segments, 1 signed checkpoints/);
      assert.match(ok.stdout, /^(?!.*-admin).*: OK, \d+ events in 1 segments, 1 signed checkpoints$/m, 'the node chain too');
      assert.doesNotMatch(ok.stdout, /not checked against a pinned key/);
    }
  });

  test('a deleted key: serve refuses with one line and makes no new key', async () => {
    renameSync(keyFile(), `${keyFile()}.away`);
    try {
      const r = await serve();
      assert.equal(r.code, 1, r.stdout);
      assert.equal(r.stderr.trim(), `fumidai: audit signing key ${keyFile()} is missing; fumidai never makes a new one by itself: restore it from a backup, or if it is truly lost start a new trail (new audit.dir and audit.node in the config), then 'fumidai init' makes a new key (AUDIT_KEY_MISSING)`);
      assert.equal(existsSync(keyFile()), false, 'no key appeared');
      assert.match((await b.cli(['target', 'add', 'web9', '--host', '127.0.0.1', '--login', 'x'], true)).stderr, /\(AUDIT_KEY_MISSING\)$/m, 'nor from an admin command');
      assert.equal(existsSync(keyFile()), false);
    } finally {
      renameSync(`${keyFile()}.away`, keyFile());
    }
  });

  test('a replaced key: serve refuses, naming the new key and the checkpoint it did not sign', async () => {
    const original = readFileSync(keyFile());
    writeFileSync(keyFile(), newKeyPem());
    try {
      const r = await serve();
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr.trim(), /^fumidai: the audit signing key \S+audit_ed25519_key \(SHA256:\S+\) did not sign this node's trail \(newest checkpoint: \S+\.jsonl line \d+\): restore the key that did, .* \(AUDIT_KEY_CHANGED\)$/);
      assert.doesNotMatch(r.stderr, new RegExp(fingerprint.replace(/[+/]/g, '\\$&')));
    } finally {
      writeFileSync(keyFile(), original);
    }
    assert.equal((await b.cli(['audit', 'verify', '--fingerprint', fingerprint])).code, 0, 'the original key is back');
  });

  test('a trail re-signed with a new key passes only unpinned; the pinned fingerprint or key exits 3', async () => {
    const insider = generateKeyPairSync('ed25519');
    writeFileSync(keyFile(), insider.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(`${keyFile()}.pub`, insider.publicKey.export({ type: 'spki', format: 'pem' }));
    assert.ok(resignTrail(join(b.data, 'audit'), insider.privateKey) >= 2);
    const selfConsistent = await b.cli(['audit', 'verify']);
    assert.equal(selfConsistent.code, 0, selfConsistent.stderr);
    assert.match(selfConsistent.stdout, /^not checked against a pinned key: anyone who can write this data directory could have re-signed it \(pass --key or --fingerprint\)$/m);
    const byFingerprint = await b.cli(['audit', 'verify', '--fingerprint', fingerprint], true);
    assert.equal(byFingerprint.code, 3, byFingerprint.stdout);
    assert.match(byFingerprint.stderr.trim(), new RegExp(`^fumidai: the audit key of this data directory \\(\\S+\\) is SHA256:\\S+, not the pinned ${fingerprint.replace(/[+/]/g, '\\$&')}: .* \\(AUDIT_KEY_MISMATCH\\)$`));
    const byKey = await b.cli(['audit', 'verify', '--key', originalPub], true);
    assert.equal(byKey.code, 3, byKey.stdout);
    const lines = byKey.stderr.trim().split('\n');
    assert.equal(lines.length, 2, 'one line per chain');
    for (const l of lines) assert.match(l, /^fumidai: \S+: its checkpoints are signed by SHA256:\S+, not the pinned SHA256:\S+: .* \(AUDIT_KEY_MISMATCH\)$/);
  });
});
