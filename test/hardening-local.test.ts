// Attacks on the bastion's own host (issue 18): SQL that reads or writes files through `audit query`, a data
// directory other accounts can read, and a replay that trusts an edited recording or lets it drive the auditor's terminal.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run, stopChild } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

/** Every directory and file under root with its permission bits. */
function modes(root: string): Map<string, number> {
  const found = new Map<string, number>();
  const visit = (p: string) => {
    const st = lstatSync(p);
    found.set(p, st.mode & 0o777);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(root);
  return found;
}

function assertPrivate(root: string): Map<string, number> {
  const all = modes(root);
  for (const [p, mode] of all) {
    const dir = lstatSync(p).isDirectory();
    assert.equal(mode, dir ? 0o700 : 0o600, `${p} is ${mode.toString(8)}`);
  }
  return all;
}

describe('host hardening', () => {
  const b = new Bastion();
  let target: Target;
  let cfg: string;
  let key: string;

  before(async () => {
    mkdirSync(b.data, { mode: 0o755 });
    chmodSync(b.data, 0o755); // an existing directory, as a package or an admin would have made it
    await b.init();
    await b.cli(['user', 'add', 'carol']); // an admin change: the admin chain of the audit trail
    ({ target, cfg, key } = await b.startWith('alice', 'web'));
  });
  after(async () => {
    await target?.stop();
    await b.stop();
  });

  test('init into an existing 0755 directory: it becomes 0700, and everything fumidai writes in it is 0600/0700', async () => {
    const r = await ssh(cfg, ['web', 'echo hello']);
    assert.equal(r.stdout.trim(), 'hello', r.stderr);
    const all = [...assertPrivate(b.data).keys()].map((p) => p.slice(b.data.length + 1));
    for (const expected of [/^fumidai\.db$/, /^fumidai\.db-wal$/, /^fumidai\.db-shm$/, /^host_ed25519_key(\.pub)?$/, /^audit_ed25519_key\.pub$/, /^mfa\.key$/, /^audit\/[^/]+-admin\/.*\.jsonl$/, /^audit\/[^/]+\/.*\.jsonl$/, /^recordings\/.+\.bin$/]) {
      assert.ok(all.some((p) => expected.test(p)), `${expected} in ${all.join(' ')}`);
    }
    assert.equal(b.events('ModeTightened').length, 0, 'nothing was left for serve to fix');
    if (process.getuid?.() === 0) assert.match(b.log, /"event":"RunningAsRoot".*dedicated user.*contrib\/fumidai\.service/);
  });

  test('serve finds the data directory and files opened to others, closes them and says so once each', async () => {
    await stopChild(b.process!);
    const recording = [...modes(join(b.data, 'recordings')).keys()].find((p) => p.endsWith('.bin'))!;
    const widened = [[b.data, 0o755], [join(b.data, 'fumidai.db'), 0o644], [join(b.data, 'audit'), 0o755], [recording, 0o644]] as const;
    for (const [p, mode] of widened) chmodSync(p, mode);
    b.log = ''; // start() reads the port from the log
    await b.start();
    cfg = b.sshConfig('alice', key, { web: LOGIN }); // the new port
    assertPrivate(b.data);
    const fixes = await b.waitForEvents('ModeTightened', widened.length);
    assert.deepEqual(fixes.map((f) => [f.path, f.from, f.to]).sort(), widened.map(([p, mode]) => [p, `0${mode.toString(8)}`, mode === 0o755 ? '0700' : '0600']).sort());
  });

  test('audit query reaches the audit events only: no file read or written, nothing attached, loaded or re-enabled', async () => {
    const ok = await b.cli(['audit', 'query', 'SELECT count(*) AS n FROM events', '--json']);
    assert.ok(Number(JSON.parse(ok.stdout).n) > 0);
    const out = join(b.dir, 'copied.csv');
    const attacks = [
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM read_csv('/etc/passwd')",
      `COPY (SELECT 1) TO '${out}'`,
      `ATTACH '${join(b.dir, 'x.db')}' AS x`,
      'INSTALL httpfs',
      'LOAD httpfs',
      'SET enable_external_access = true',
      'SET lock_configuration = false',
      "SELECT * FROM glob('/etc/*')",
    ];
    for (const sql of attacks) {
      const r = await b.cli(['audit', 'query', sql], true);
      assert.equal(r.code, 1, `${sql}: ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /root:/);
      assert.match(r.stderr, /^fumidai: query failed: .*(Permission Error|disabled|locked).* \(ARGUMENT_INVALID\)\n$/, sql);
    }
    assert.ok(!existsSync(out) && !existsSync(join(b.dir, 'x.db')));
    // A query that trips over DuckDB's precedence of ->> gets the fix in its error line.
    const precedence = await b.cli(['audit', 'query', "SELECT count(*) FROM events WHERE eventName = 'ChannelOpen' AND details->>'channelType' = 'shell'"], true);
    assert.match(precedence.stderr, /^fumidai: query failed: .* \(in DuckDB, -> and ->> bind more loosely than = and AND: put them in parentheses, .*\) \(ARGUMENT_INVALID\)\n$/);
    const fixed = await b.cli(['audit', 'query', "SELECT count(*) AS n FROM events WHERE eventName = 'ChannelOpen' AND (details->>'channelType') = 'shell'", '--json']);
    assert.ok(Number(JSON.parse(fixed.stdout).n) >= 0);
    const exported = join(b.dir, 'events.csv');
    await b.cli(['audit', 'export', exported, '--format', 'csv']);
    assert.match(readFileSync(exported, 'utf8'), /eventName/);
  });

  test('replay: a recording that is not the sealed one exits 3; escapes that act on the terminal are dropped unless --raw', async () => {
    const keys = async () => (await b.cli(['sessions', 'list', '--json'])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).auditKey as string);
    const before = new Set(await keys());
    const evil = "printf 'seen\\033[1;31mred\\033[0m\\033]52;c;cm0gLXJmIH4K\\007\\033]0;title\\007\\033[6n\\033P$qm\\033\\\\\\033[c end\\n'";
    const made = await ssh(cfg, ['web', evil]);
    assert.equal(made.code, 0, made.stderr);
    const session = (await keys()).find((k) => !before.has(k))!;
    let shown = '';
    for (let i = 0; i < 50 && !shown.includes('end'); i++) {
      shown = (await b.cli(['replay', session, '--no-wait'])).stdout; // sealed a moment after the client exits
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(shown, 'seen\x1b[1;31mred\x1b[0m end\n');
    const raw = (await b.cli(['replay', session, '--no-wait', '--raw'])).stdout;
    assert.ok(raw.includes('\x1b]52;c;') && raw.includes('\x1b[6n') && raw.includes('\x1bP$q'), JSON.stringify(raw));

    const recording = [...modes(join(b.data, 'recordings')).keys()].find((p) => p.includes(session) && p.endsWith('.bin'))!;
    const bytes = readFileSync(recording);
    bytes[bytes.indexOf('seen')] = 'S'.charCodeAt(0); // same size, one byte changed
    writeFileSync(recording, bytes);
    const tampered = await b.cli(['replay', session, '--no-wait'], true);
    assert.equal(tampered.code, 3);
    assert.equal(tampered.stdout, '', 'nothing of it was played');
    assert.match(tampered.stderr, /^fumidai: recording tampered: .*\.bin \(session \S+, channel \d+: sha256 .* differs from the sealed .*\) \(RECORDING_TAMPERED\)\n$/);
  });
});

test('contrib/fumidai.service passes systemd-analyze verify, and keeps the V8 JIT allowed', async (t) => {
  const which = await run('sh', ['-c', 'command -v systemd-analyze']);
  if (which.code !== 0) return t.skip('systemd-analyze is not installed');
  const unit = join(ROOT, 'contrib/fumidai.service');
  const r = await run('systemd-analyze', ['verify', unit], { cwd: tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('fumidai.service')).join('\n'), '', 'no warning about the unit');
  const text = readFileSync(unit, 'utf8');
  for (const line of ['User=fumidai', 'AmbientCapabilities=CAP_NET_BIND_SERVICE', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/fumidai']) {
    assert.ok(text.split('\n').includes(line), line);
  }
  assert.doesNotMatch(text, /^MemoryDenyWriteExecute=yes/m);
});
