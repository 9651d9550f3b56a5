// The audit trail's disk fills while fumidai serves (a small tmpfs as audit.dir): fail closed. No new login, session,
// channel, tunnel or admin change goes through, an sftp channel ends at its next transfer, each with the
// AUDIT_UNAVAILABLE line, and the failures are counted; once space is freed, sessions work again without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { freePort } from './helpers/proc.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';

const LINE = /fumidai: the audit trail cannot be written \((.+?)\), so this was refused; tell the administrator \(AUDIT_UNAVAILABLE\)/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const POLICY = `
rules:
  - name: alice
    effect: allow
    users: [alice]
    targets: [web1]
    actions: [shell, exec, sftp, local-forward]
`;

/** What comes back through a local forward to an echo service: 'ping' if the tunnel opened, '' if it was refused. */
function throughTunnel(port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = connect(port, '127.0.0.1', () => s.write('ping'));
    const done = () => (clearTimeout(timer), s.destroy(), resolve(got));
    const timer = setTimeout(done, 5000);
    s.on('data', (d) => {
      got += d;
      if (got === 'ping') done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

/** An SSH client that only says hello and goes: fumidai leaves ConnectionOpened and ConnectionClosed (lenient events). */
function hello(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write('SSH-2.0-probe\r\n'));
    s.on('data', () => setTimeout(() => s.destroy(), 50));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
  });
}

describe('audit trail on a full disk (fail closed)', () => {
  const b = new Bastion();
  let web1: Target;
  let mount: string;
  let remote: string;
  let cfg: string;
  let metricsUrl: string;
  let echo: Server;
  const children: ChildProcess[] = [];

  /** A ControlMaster connection to web1 through fumidai (authenticated now, while the trail can be written). */
  const master = async (name: string): Promise<string> => {
    const sock = join(b.dir, `ctl-${name}`);
    const child = spawn('ssh', ['-F', cfg, '-M', '-S', sock, '-N', 'web1'], { stdio: 'ignore' });
    children.push(child);
    for (const deadline = Date.now() + 20_000; !existsSync(sock); await sleep(50)) assert.ok(Date.now() < deadline, `master ${name} did not come up`);
    return sock;
  };
  const failures = async (): Promise<number> => {
    const text = await (await fetch(metricsUrl)).text();
    return Number(/^fumidai_audit_write_failures_total (\S+)$/m.exec(text)?.[1] ?? NaN);
  };
  const filler = () => join(mount, 'filler');

  before(async () => {
    mount = mkdtempSync(join(tmpdir(), 'fumidai-audit-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    } catch {
      rmSync(mount, { recursive: true, force: true });
      assert.fail('cannot mount a small tmpfs here (the test needs root)');
    }
    remote = mkdtempSync(join(tmpdir(), 'fumidai-audit-full-target-'));
    chmodSync(remote, 0o777); // the target's login writes here
    await b.init({ 'dir: audit': `dir: ${mount}`, '# listen: 127.0.0.1:9722': 'listen: 127.0.0.1:0' });
    web1 = await b.addTarget('web1');
    const key = await b.addUser('alice');
    await b.applyPolicy(POLICY);
    await b.start();
    cfg = b.sshConfig('alice', key, { web1: LOGIN });
    echo = createServer((c) => c.on('error', () => undefined).pipe(c));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    for (let i = 0; i < 50 && !/metrics on (http:\/\/\S+\/metrics)/.test(b.log); i++) await sleep(100);
    metricsUrl = /metrics on (http:\/\/\S+\/metrics)/.exec(b.log)![1]!;
  });
  after(async () => {
    for (const c of children) c.kill();
    echo?.close();
    await b.stop();
    await web1?.stop();
    try {
      execFileSync('umount', [mount]);
    } catch {
      // not mounted: before() failed early
    }
    rmSync(mount, { recursive: true, force: true });
    rmSync(remote, { recursive: true, force: true });
  });

  test('no new login, session, channel, tunnel, transfer or admin change while the trail cannot be written; each says why', { timeout: 120_000 }, async () => {
    // Before the disk fills: a session works, two connections are in (one has reached its target and holds a -L
    // listener), an sftp is running.
    assert.equal((await ssh(cfg, ['web1', 'echo first'])).stdout, 'first\n');
    const reached = await master('reached');
    assert.equal((await ssh(cfg, ['-S', reached, 'web1', 'echo via-master'])).stdout, 'via-master\n');
    const idle = await master('idle');
    const tunnel = await freePort();
    const forward = await ssh(cfg, ['-S', reached, '-O', 'forward', '-L', `${tunnel}:127.0.0.1:${(echo.address() as { port: number }).port}`, 'web1']);
    assert.equal(forward.code, 0, forward.stderr);
    assert.equal(await throughTunnel(tunnel), 'ping');
    const payload = join(b.dir, 'payload');
    writeFileSync(payload, 'x'.repeat(10_000));
    const sftp = spawn('sftp', ['-F', cfg, '-b', '-', 'web1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(sftp);
    let sftpErr = '';
    sftp.stderr!.on('data', (d) => (sftpErr += d));
    const sftpExit = new Promise<number | null>((resolve) => sftp.on('close', (code) => resolve(code)));
    sftp.stdin!.write(`put ${payload} ${remote}/a\n`);
    await b.waitForEvents('FileTransfer', 1, (e) => e.path === `${remote}/a`, 20_000);
    const usersBefore = (await b.cli(['user', 'list'])).stdout;
    const failedBefore = await failures();

    // Fill the disk, then use up what is left in the last page of each chain's file (lenient events, harmless admin
    // commands) until a write fails: from then on nothing fits.
    assert.throws(() => writeFileSync(filler(), Buffer.alloc(1024 * 1024)), /ENOSPC/);
    for (let i = 0; i < 100 && !b.log.includes('"event":"AuditWriteFailed"'); i++) await hello(b.port);
    assert.ok(b.log.includes('"event":"AuditWriteFailed"'), 'the node chain never filled up');
    let unlock = await b.cli(['user', 'unlock', 'alice'], true);
    for (let i = 0; i < 30 && unlock.code === 0; i++) unlock = await b.cli(['user', 'unlock', 'alice'], true);
    assert.equal(unlock.code, 1, 'the admin chain never filled up');

    // A new channel on a connection that reached its target: refused by its ChannelOpen, before the target runs it.
    const channel = await ssh(cfg, ['-S', reached, 'web1', `touch ${remote}/channel-ran`]);
    assert.equal(channel.code, 255, channel.stderr);
    assert.match(channel.stderr, LINE);
    // The first channel of a connection: its session does not start (SessionStart), the target is never reached.
    const connects = b.events('TargetConnect').length;
    const session = await ssh(cfg, ['-S', idle, 'web1', `touch ${remote}/session-ran`]);
    assert.equal(session.code, 255, session.stderr);
    assert.match(session.stderr, LINE);
    await sleep(300); // the log line of an attempt comes before its write, and a little after the client's exit
    assert.equal(b.events('TargetConnect').length, connects, 'fumidai connected to the target');
    // A new connection: its login is refused (AuthSuccess), with the line as a banner (shown at LogLevel INFO).
    const login = await ssh(cfg, ['-o', 'LogLevel=INFO', '-l', 'web1', 'bastion', `touch ${remote}/login-ran`]);
    assert.equal(login.code, 255, login.stderr);
    assert.match(login.stderr, LINE);
    assert.match(login.stderr, /Permission denied/);
    for (const ran of ['channel-ran', 'session-ran', 'login-ran']) assert.ok(!existsSync(join(remote, ran)), `${ran}: the target ran it`);
    assert.match(channel.stderr, /\(ENOSPC\)/, 'the line names the cause');
    // A new tunnel (-L): refused by its PortForward, nothing passes.
    assert.equal(await throughTunnel(tunnel), '');

    // The running sftp: its next transfer's FileTransfer cannot be written, so the channel ends with the line.
    sftp.stdin!.write(`put ${payload} ${remote}/b\n`);
    await Promise.race([sftpExit, sleep(3000)]);
    sftp.stdin!.end(`put ${payload} ${remote}/c\n`);
    assert.notEqual(await sftpExit, 0);
    assert.match(sftpErr, LINE);
    assert.doesNotMatch(sftpErr, /RECORDING_FAILED/);
    assert.ok(!existsSync(join(remote, 'c')), 'no transfer after the one that could not be recorded');

    // Admin changes are recorded before they are applied: refused, and the store is unchanged.
    const { pub } = await keygen(join(b.dir, 'carol_key'));
    for (const args of [['user', 'add', 'carol', '--key', pub], ['grant', 'alice', 'web1']]) {
      const r = await b.cli(args, true);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr.trim(), new RegExp(`^${LINE.source}$`));
    }
    assert.equal((await b.cli(['user', 'list'])).stdout, usersBefore);

    // Each failed write is logged (what it was) and counted.
    const lost = b.events('AuditWriteFailed').map((e) => e.failed);
    for (const name of ['ChannelOpen', 'SessionStart', 'AuthSuccess', 'PortForward', 'FileTransfer']) assert.ok(lost.includes(name), `${name} not among ${lost.join(', ')}`);
    assert.ok((await failures()) >= failedBefore + 5, `fumidai_audit_write_failures_total: ${await failures()}`);
    assert.equal(b.process?.exitCode, null, 'fumidai is still running');
  });

  test('space freed: new sessions work again, without a restart', { timeout: 60_000 }, async () => {
    rmSync(filler());
    const r = await ssh(cfg, ['web1', `echo back; touch ${remote}/after`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'back\n');
    assert.ok(existsSync(join(remote, 'after')));
    assert.equal((await ssh(cfg, ['-S', join(b.dir, 'ctl-reached'), 'web1', 'echo again'])).stdout, 'again\n');
  });

  // A write cut short by the full disk is taken back whole, and the chain's tail with it: nothing torn stays behind.
  test('space freed: the trail verifies and admin changes work again', { timeout: 60_000 }, async () => {
    const verify = await b.cli(['audit', 'verify'], true);
    assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);
    const add = await b.cli(['user', 'add', 'carol', '--key', join(b.dir, 'carol_key.pub')], true);
    assert.equal(add.code, 0, add.stderr);
  });
});
