// Port forwarding through a target with a real ssh client: -W and -L (direct-tcpip, through ProxyJump and through
// LOGIN@TARGET), -R (the target listens, connections come back to the client), each recorded byte for byte and
// audited; a user whose rules lack the action is refused with a reason, and no target means no forwarding.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { freePort, stopChild, waitForPort } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const POLICY = `
groups:
  contractors: [dave]
targets:
  web1: { env: prod }
rules:
  - name: alice-tunnels
    effect: allow
    users: [alice, carol]
    targets: [web1]
    actions: [shell, exec, local-forward, remote-forward, x11]
  - name: bob-no-tunnels
    effect: allow
    users: [bob]
    targets: [web1]
    actions: [shell, exec]
  - name: dave-tunnels
    effect: allow
    users: [dave]
    targets: [web1]
    actions: [shell, exec, local-forward]
  - name: no-contractors-on-prod
    effect: deny
    groups: [contractors]
    targets: [env=prod]
`;

/** A service "behind" the target: echoes what it gets, and half-closes when the peer does. */
function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('forwarding: ports and X11', () => {
  const b = new Bastion();
  let web1: Target;
  let echo: { server: Server; port: number };
  const keys: Record<string, string> = {};
  const cfg = (u: string, extra: string[] = []) => b.sshConfig(u, keys[u]!, { web1: LOGIN }, extra);

  before(async () => {
    await b.init();
    web1 = await b.addTarget('web1', LOGIN, ['X11Forwarding yes']);
    for (const u of ['alice', 'bob', 'carol', 'dave']) keys[u] = await b.addUser(u);
    await b.applyPolicy(POLICY);
    echo = await echoServer();
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    echo?.server.close();
  });

  test('ssh -W through ProxyJump and through LOGIN@TARGET reaches a service from the target; recorded and audited', async () => {
    const payload = randomBytes(300_000);
    for (const args of [['-W', `127.0.0.1:${echo.port}`, 'web1'], ['-W', `127.0.0.1:${echo.port}`, '-l', `${LOGIN}@web1`, 'bastion']]) {
      const r = await ssh(cfg('alice'), args, { input: payload });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha256(r.stdoutBuffer), sha256(payload), 'every byte comes back through the tunnel');
    }
    const forwards = await b.waitForEvents('PortForward', 2, (e) => e.user === 'alice' && e.result === 'success');
    assert.equal(forwards.length, 2, JSON.stringify(b.events('PortForward')));
    assert.equal(forwards[0]!.destination, `127.0.0.1:${echo.port}`);
    assert.equal(forwards[0]!.target, 'web1');
    // Each tunnel is a channel of its session, recorded and sealed with the bytes both ways.
    const sealed = await b.waitForEvents('RecordingSealed', 2, (e) => String(e.path).endsWith('-direct-tcpip.bin'));
    assert.equal(sealed.length, 2);
    const show = await b.cli(['sessions', 'show', String(forwards[0]!.sessionId)]);
    assert.match(show.stdout, new RegExp(`direct-tcpip\\s+127\\.0\\.0\\.1:${echo.port}\\s+\\S*\\s*${payload.length}\\s+${payload.length}\\s+sealed`));
  });

  test('ssh -L: a local listener carries connections to a service behind the target', async () => {
    const localPort = await freePort();
    const child = spawn('ssh', ['-F', cfg('alice'), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${localPort}:127.0.0.1:${echo.port}`, 'web1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      await waitForPort(localPort);
      for (const text of ['first connection', 'second connection']) {
        const got = await new Promise<string>((resolve, reject) => {
          const s = connect(localPort, '127.0.0.1', () => s.end(text));
          let data = '';
          s.on('data', (d) => (data += d)).on('end', () => resolve(data)).on('error', reject);
        });
        assert.equal(got, text, stderr);
      }
    } finally {
      await stopChild(child);
    }
  });

  test('ssh -R: the target listens, and what connects there reaches the client side', async () => {
    const remotePort = await freePort();
    // The exec may start before the listener is up on the target (both requests are handled at once): retry briefly.
    const script = `for i in $(seq 50); do exec 3<>/dev/tcp/127.0.0.1/${remotePort} && break; sleep 0.1; done 2>/dev/null; echo ping-through-R >&3; head -1 <&3`;
    const r = await ssh(cfg('alice'), ['-o', 'ExitOnForwardFailure=yes', '-R', `${remotePort}:127.0.0.1:${echo.port}`, 'web1', `bash -c '${script}'`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'ping-through-R\n');
    // No bind address given: the client asks for "localhost", and the target listens there.
    const remote = await b.waitForEvents('PortForward', 2, (e) => e.direction === 'remote' && e.result === 'success' && e.listen === `localhost:${remotePort}`);
    assert.equal(remote.filter((e) => !e.origin).length, 1, 'the listen request is an event');
    assert.equal(remote.filter((e) => typeof e.origin === 'string').length, 1, 'each connection is an event');
    assert.equal((await b.waitForEvents('RecordingSealed', 1, (e) => String(e.path).endsWith('-forwarded-tcpip.bin'))).length, 1);
  });

  test('a user whose rules lack the forwarding actions is refused with the reason, and each refusal is an event', async () => {
    const w = await ssh(cfg('bob', ['LogLevel INFO']), ['-W', `127.0.0.1:${echo.port}`, 'web1'], { input: 'x' });
    assert.equal(w.code, 255);
    assert.match(w.stderr, /channel 0: open failed: [a-z ]+: fumidai: access denied: local-forward is not allowed by rule 'bob-no-tunnels' \(ACCESS_DENIED\)/);
    const r = await ssh(cfg('bob'), ['-o', 'ExitOnForwardFailure=yes', '-R', `${await freePort()}:127.0.0.1:${echo.port}`, 'web1', 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /remote port forwarding failed/);
    // Without ExitOnForwardFailure the command runs: the refused -R, sent before the session channel, refuses only itself.
    const cmd = await ssh(cfg('bob'), ['-R', `${await freePort()}:127.0.0.1:${echo.port}`, 'web1', 'echo cmd-ok']);
    assert.equal(cmd.code, 0, cmd.stderr);
    assert.equal(cmd.stdout, 'cmd-ok\n');
    const denied = await b.waitForEvents('PolicyDenied', 3, (e) => e.user === 'bob');
    assert.deepEqual(denied.map((e) => e.action).sort(), ['local-forward', 'remote-forward', 'remote-forward']);
    const failed = await b.waitForEvents('PortForward', 3, (e) => e.user === 'bob' && e.result === 'failure');
    assert.deepEqual(failed.map((e) => e.direction).sort(), ['local', 'remote', 'remote']);
    // Their shell is unaffected.
    assert.equal((await ssh(cfg('bob'), ['web1', 'echo shell-ok'])).stdout, 'shell-ok\n');
  });

  test('a deny without actions refuses tunnels too, over an allow that lists them: ssh -W and -L refused and audited', async () => {
    const w = await ssh(cfg('dave', ['LogLevel INFO']), ['-W', `127.0.0.1:${echo.port}`, 'web1'], { input: 'through' });
    assert.equal(w.code, 255);
    assert.equal(w.stdout, '');
    assert.match(w.stderr, /open failed: [a-z ]+: fumidai: access denied: denied by rule 'no-contractors-on-prod' \(ACCESS_DENIED\)/);
    const localPort = await freePort();
    const child = spawn('ssh', ['-F', cfg('dave'), '-N', '-L', `${localPort}:127.0.0.1:${echo.port}`, 'web1'], { stdio: 'ignore' });
    try {
      await waitForPort(localPort);
      // The client's listener is its own; what it carries is refused, so the connection closes with nothing echoed.
      const got = await new Promise<string>((resolve) => {
        let data = '';
        const s = connect(localPort, '127.0.0.1', () => s.write('through'));
        s.on('data', (d) => (data += d)).on('close', () => resolve(data)).on('error', () => undefined);
      });
      assert.equal(got, '');
    } finally {
      await stopChild(child);
    }
    // -W and the connection above (and a probe of waitForPort's, if it reached ssh): each a refusal, none a success.
    const denied = await b.waitForEvents('PolicyDenied', 2, (e) => e.user === 'dave');
    assert.deepEqual(new Set(denied.map((e) => `${e.action} ${e.rule}`)), new Set(['local-forward no-contractors-on-prod']));
    const forwards = await b.waitForEvents('PortForward', denied.length, (e) => e.user === 'dave');
    assert.deepEqual(new Set(forwards.map((e) => e.result)), new Set(['failure']));
    assert.equal(forwards.length, denied.length);
  });

  test('ssh -Y: an X11 client on the target reaches the X server beside the user, recorded; without the action, no X11', async () => {
    // The X server: whatever connects gets a reply once the client's first line has arrived.
    const received: Buffer[] = [];
    const xServer = createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        received.push(d);
        if (Buffer.concat(received).includes('hello-x11\n')) s.end('reply-from-x-server\n');
      });
    });
    const xPort = await new Promise<number>((resolve) => xServer.listen(0, '127.0.0.1', () => resolve((xServer.address() as { port: number }).port)));
    const dir = mkdtempSync(join(tmpdir(), 'fumidai-x11-'));
    chmodSync(dir, 0o755);
    const client = join(dir, 'x11_client.py');
    copyFileSync(join(ROOT, 'test/helpers/x11_client.py'), client);
    chmodSync(client, 0o644);
    const env = { ...process.env, DISPLAY: `127.0.0.1:${xPort - 6000}` };
    try {
      const r = await ssh(cfg('alice'), ['-Y', 'web1', `python3 ${client}`], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'reply-from-x-server\n', r.stderr);
      // The X connection setup arrived with the cookie swapped by the client, then the client's bytes.
      assert.match(Buffer.concat(received).toString('latin1'), /^l\0\x0b\0[\s\S]*MIT-MAGIC-COOKIE-1[\s\S]*hello-x11\n$/);
      const opened = await b.waitForEvents('ChannelOpen', 1, (e) => e.channelType === 'x11' && e.user === 'alice');
      assert.equal(opened.length, 1);
      assert.equal((await b.waitForEvents('RecordingSealed', 1, (e) => String(e.path).endsWith('-x11.bin'))).length, 1);

      const denied = await ssh(cfg('bob'), ['-Y', 'web1', 'echo "display=${DISPLAY:-none}"'], { env });
      assert.equal(denied.code, 0, denied.stderr);
      assert.equal(denied.stdout, 'display=none\n');
      assert.match(denied.stderr, /fumidai: access denied: x11 is not allowed by rule 'bob-no-tunnels' \(ACCESS_DENIED\); going on without X11/);
      assert.equal((await b.waitForEvents('PolicyDenied', 1, (e) => e.user === 'bob' && e.action === 'x11')).length, 1);
    } finally {
      xServer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // LogLevel INFO, the client's default: the tests' configs keep it at ERROR, where OpenSSH hides the refusal's reason.
  test('forwarding with no target named is refused with a hint', async () => {
    const r = await ssh(cfg('alice', ['LogLevel INFO']), ['-W', `127.0.0.1:${echo.port}`, 'bastion'], { input: 'x' });
    assert.equal(r.code, 255);
    assert.match(r.stderr, /fumidai: port forwarding to 127\.0\.0\.1:\d+ needs a target to start from: .* \(FORWARD_NO_TARGET\)/);
  });

  test('removing the user closes their open tunnel and ends the session at once', async () => {
    const localPort = await freePort();
    const child = spawn('ssh', ['-F', cfg('carol'), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${localPort}:127.0.0.1:${echo.port}`, 'web1'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitForPort(localPort);
      const s = connect(localPort, '127.0.0.1');
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.on('error', () => undefined);
      const echoed = new Promise<string>((resolve) => s.once('data', (d) => resolve(String(d))));
      s.write('before removal');
      assert.equal(await echoed, 'before removal');
      await b.cli(['user', 'remove', 'carol']);
      await closed;
      assert.equal(await exited, 255);
      assert.equal((await b.waitForEvents('SessionEnd', 1, (e) => e.user === 'carol' && /access revoked/.test(String(e.reason)))).length, 1);
    } finally {
      await stopChild(child);
    }
  });
});
