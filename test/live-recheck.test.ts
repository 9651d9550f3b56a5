// The live re-check: every live session is decided again for every action it uses, on a timer (so a closing time
// window ends it) and on every change of the store (so a policy that takes back one action ends only the channels of
// that action), with real OpenSSH clients through fumidai to a real sshd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Bastion, ssh } from './helpers/fumidai.js';
import { freePort, stopChild, waitForPort } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const TICKING = 'echo started; while :; do echo tick; sleep 0.2; done';

const hhmm = (minute: number) => {
  const m = minute % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/** A UTC window (minute granularity) open now and closing at the next minute boundary at least 8 s away. */
function closingWindow(now = Date.now()): { hours: string; endsAt: number } {
  const start = Math.floor(now / 60_000);
  let end = start + 1;
  if (end * 60_000 - now < 8000) end++;
  return { hours: `${hhmm(start)}-${end % 1440 === 0 ? '24:00' : hhmm(end)}`, endsAt: end * 60_000 };
}

const tunnelPolicy = (actions: string) => `
rules:
  - name: bob-work
    effect: allow
    users: [bob]
    targets: [web1]
    actions: [${actions}]
`;

/** Connects through the client's -L listener; resolves the socket once `text` came back. */
function echoed(port: number, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let data = '';
    s.on('data', (d) => (data += d) === text && resolve(s)).on('error', reject).on('close', () => reject(new Error(`closed after '${data}'`)));
  });
}

describe('live re-check of every action in use', () => {
  const b = new Bastion();
  let web1: Target;
  let echo: Server;
  let echoPort = 0;
  const keys: Record<string, string> = {};
  const cfg = (u: string) => b.sshConfig(u, keys[u]!, { web1: LOGIN });

  before(async () => {
    await b.init({ 'recheckInterval: 60': 'recheckInterval: 1' });
    web1 = await b.addTarget('web1');
    for (const u of ['alice', 'bob']) keys[u] = await b.addUser(u);
    echo = createServer((s) => s.on('error', () => undefined).pipe(s));
    echoPort = await new Promise<number>((resolve) => echo.listen(0, '127.0.0.1', () => resolve((echo.address() as { port: number }).port)));
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    echo?.close();
  });

  test('a session opened inside a time window ends when the window closes, within the re-check interval', { timeout: 120_000 }, async () => {
    const window = closingWindow();
    await b.applyPolicy(`
rules:
  - name: office-window
    effect: allow
    users: [alice]
    targets: [web1]
    time: { hours: "${window.hours}" }
`);
    const r = await ssh(cfg('alice'), ['web1', TICKING], { timeoutMs: 100_000 });
    const endedAt = Date.now();
    const late = endedAt - window.endsAt;
    console.log(`# window ${window.hours} UTC; the session ended ${late} ms after it closed`);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stdout, /^started\n(tick\n){10,}$/);
    const reason = `outside ${window.hours} UTC (rule 'office-window')`;
    assert.match(r.stderr, new RegExp(`fumidai: session ended, access revoked: ${reason.replace(/[()]/g, '\\$&')} \\(ACCESS_REVOKED\\)`));
    assert.ok(late >= 0, `ended ${-late} ms before the window closed`);
    assert.ok(late < 3500, `ended ${late} ms after the window closed (interval 1 s)`);
    const revoked = await b.waitForEvents('SessionRevoked', 1, (e) => e.user === 'alice');
    assert.equal(revoked[0]?.reason, reason);
  });

  test('a policy that takes back local-forward ends the tunnel, tells the shell why, and the shell goes on', async () => {
    await b.applyPolicy(tunnelPolicy('shell, exec, local-forward'));
    const localPort = await freePort();
    // A shell (no command: the shell reads its commands from stdin) and a tunnel in one session.
    const child = spawn('ssh', ['-F', cfg('bob'), '-T', '-L', `${localPort}:127.0.0.1:${echoPort}`, 'web1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.write(`${TICKING}\n`);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForPort(localPort);
      const tunnel = await echoed(localPort, 'before the change');
      const closed = new Promise<void>((resolve) => tunnel.once('close', () => resolve()));
      tunnel.removeAllListeners('error').on('error', () => undefined);
      await b.applyPolicy(tunnelPolicy('shell, exec'));
      const t0 = Date.now();
      await closed;
      console.log(`# the tunnel closed ${Date.now() - t0} ms after the policy was applied`);
      const ticks = () => stdout.split('\n').filter((l) => l === 'tick').length;
      const seen = ticks();
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(ticks() > seen, 'the command still prints');
      assert.equal(child.exitCode, null, 'the session goes on');
      assert.match(stderr, /fumidai: local-forward ended, access revoked: local-forward is not allowed by rule 'bob-work' \(ACCESS_REVOKED\)/);
      await assert.rejects(echoed(localPort, 'after the change'), /closed after ''|ECONNRESET/, 'a new tunnel is refused');
      const revoked = await b.waitForEvents('ChannelRevoked', 1, (e) => e.user === 'bob');
      assert.equal(revoked[0]?.action, 'local-forward');
      assert.equal(revoked[0]?.reason, "local-forward is not allowed by rule 'bob-work'");
      assert.equal(b.events('SessionRevoked').filter((e) => e.user === 'bob').length, 0);
    } finally {
      await stopChild(child);
    }
    await exited;
  });

  test('a policy that takes back remote-forward cancels the listener on the target, and the shell goes on', async () => {
    await b.applyPolicy(tunnelPolicy('shell, remote-forward'));
    const remotePort = await freePort();
    const child = spawn('ssh', ['-F', cfg('bob'), '-T', '-o', 'ExitOnForwardFailure=yes', '-R', `${remotePort}:127.0.0.1:${echoPort}`, 'web1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdin!.write('echo shell-up\n');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // The target is on this machine: its listener is reachable here, and leads back to the echo server.
      await waitForPort(remotePort);
      (await echoed(remotePort, 'through -R')).destroy();
      await b.applyPolicy(tunnelPolicy('shell'));
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && /remote-forward ended/.test(stderr) === false) await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr, /fumidai: remote-forward ended, access revoked: remote-forward is not allowed by rule 'bob-work' \(ACCESS_REVOKED\)/);
      await assert.rejects(waitForPort(remotePort, 1000), /nothing listens/, 'the listener was cancelled on the target');
      child.stdin!.write('echo still-here\n');
      const shell = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout!.on('data', (d) => (out += d).includes('still-here') && resolve(out));
      });
      assert.match(shell, /still-here/);
      assert.equal((await b.waitForEvents('ChannelRevoked', 1, (e) => e.user === 'bob' && e.action === 'remote-forward')).length, 1);
    } finally {
      await stopChild(child);
    }
    await exited;
  });
});
