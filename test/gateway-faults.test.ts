// Bad input and faults at the front door: each gives the client one clear line and a non-zero exit, and fumidai
// keeps serving everyone else. Also agent forwarding and a target dying under 20 concurrent sessions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { Bastion, ssh } from './helpers/fumidai.js';
import { freePort, run } from './helpers/proc.js';
import { keygen, LOGIN, startTarget, type Target } from './helpers/sshd.js';

describe('gateway faults', () => {
  const bastion = new Bastion();
  const targets: Target[] = [];
  let silent: Server;
  let cfg: string;
  let aliceKey: string;

  const addTarget = async (name: string, port: number) =>
    bastion.cli(['target', 'add', name, '--host', '127.0.0.1', '--port', String(port), '--login', LOGIN]);

  before(async () => {
    await bastion.init({ 'connectTimeout: 10': 'connectTimeout: 2' }); // 21 clients of one address at once: under the default 30
    aliceKey = await bastion.addUser('alice');
    const upstreamKey = await bastion.upstreamPublicKey();
    const web1 = await startTarget({ authorizedKeys: upstreamKey });
    const moving = await startTarget({ authorizedKeys: upstreamKey });
    const doomed = await startTarget({ authorizedKeys: upstreamKey });
    // web2 trusts only alice's own key: reachable only with her forwarded agent.
    const web2 = await startTarget({ authorizedKeys: readFileSync(`${aliceKey}.pub`, 'utf8') });
    targets.push(web1, moving, doomed, web2);
    silent = createServer(() => undefined); // accepts TCP, never speaks SSH
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    await addTarget('web1', web1.port);
    await addTarget('web2', web2.port);
    await addTarget('moving', moving.port);
    await addTarget('doomed', doomed.port);
    await addTarget('dead', await freePort());
    await addTarget('silent', (silent.address() as { port: number }).port);
    for (const t of ['web1', 'web2', 'moving', 'doomed', 'dead', 'silent']) await bastion.cli(['grant', 'alice', t]);
    await bastion.start();
    cfg = bastion.sshConfig('alice', aliceKey, { web1: LOGIN, web2: LOGIN, nosuch: LOGIN, moving: LOGIN, doomed: LOGIN });
  });
  after(async () => {
    await bastion.stop();
    silent?.close();
    for (const t of targets) await t.stop();
  });

  const expectLine = (r: { code: number | null; stderr: string }, line: RegExp) => {
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, line);
  };

  test('an unknown key is refused', async () => {
    const { priv } = await keygen(join(bastion.dir, 'stranger'));
    const r = await ssh(bastion.sshConfig('alice', priv), ['-l', 'web1', 'bastion', 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assert.ok(bastion.events('AuthFailure').some((e) => e.reason === 'unknown key'));
  });

  test('an unknown target is named, through -J and in the user name', async () => {
    expectLine(await ssh(cfg, ['-l', `${LOGIN}@nosuch`, 'bastion', 'true']), /^fumidai: unknown target 'nosuch' \(TARGET_UNKNOWN\)/m);
    // Through -J the channel is refused with the reason, before any inner SSH: OpenSSH shows it at its default
    // LogLevel (INFO), and a client that checks host keys (known_hosts from `fumidai known-hosts`, which cannot name a
    // target that does not exist) gets the reason, not a host-key error for a name it could never have trusted.
    const info = bastion.sshConfig('alice', aliceKey, { nosuch: LOGIN }, ['LogLevel INFO']);
    const knownHosts = join(bastion.dir, 'known_hosts_strict');
    writeFileSync(knownHosts, (await bastion.cli(['known-hosts', '--bastion', `[127.0.0.1]:${bastion.port}`])).stdout);
    expectLine(await ssh(info, ['nosuch', 'true']), /channel 0: open failed: [a-z ]+: fumidai: unknown target 'nosuch' \(TARGET_UNKNOWN\)/);
    const strict = await ssh(info, ['-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, 'nosuch', 'true']);
    expectLine(strict, /fumidai: unknown target 'nosuch' \(TARGET_UNKNOWN\)/);
    assert.doesNotMatch(strict.stderr, /Host key verification failed|REMOTE HOST IDENTIFICATION/);
  });

  test('a login that was not granted is refused with the reason', async () => {
    const line = /^fumidai: access denied: user 'alice' may not log in as 'root' on 'web1' \(ACCESS_DENIED\)/m;
    expectLine(await ssh(cfg, ['-l', 'root@web1', 'bastion', 'true']), line);
    expectLine(await ssh(cfg, ['root@web1', 'true']), line);
    assert.ok(bastion.events('PolicyDenied').length >= 2);
  });

  test('port forwarding is refused with a clear message', async () => {
    // OpenSSH prints a channel's open-failure reason at LogLevel INFO (its default).
    expectLine(await ssh(cfg, ['-o', 'LogLevel=INFO', '-W', 'web1:80', 'bastion']), /fumidai: port forwarding to web1:80 needs a target to start from: ssh -J BASTION -W web1:80 TARGET, or LOGIN@TARGET as the user name \(FORWARD_NO_TARGET\)/);
  });

  test('an unreachable target: refused, and silent until the timeout', async () => {
    expectLine(await ssh(cfg, ['-l', 'dead', 'bastion', 'true']), /^fumidai: target 'dead' \(127\.0\.0\.1:\d+\) refused the connection \(UPSTREAM_REFUSED\)/m);
    const started = Date.now();
    expectLine(await ssh(cfg, ['-l', 'silent', 'bastion', 'true']), /^fumidai: target 'silent' \(127\.0\.0\.1:\d+\) did not answer within 2s \(UPSTREAM_TIMEOUT\)/m);
    assert.ok(Date.now() - started < 15_000);
  });

  test('a changed target host key is refused', async () => {
    const first = await ssh(cfg, ['moving', 'true']);
    assert.equal(first.code, 0, first.stderr);
    await targets[1]!.newHostKey();
    expectLine(await ssh(cfg, ['moving', 'true']), /fumidai: host key of target 'moving' changed \(pinned SHA256:\S+, offered SHA256:\S+\); .* \(UPSTREAM_HOSTKEY_MISMATCH\)/);
    // An admin who knows why re-pins it.
    await bastion.cli(['target', 'trust', 'moving']);
    assert.equal((await ssh(cfg, ['moving', 'true'])).code, 0);
  });

  test('ssh -A: the target that trusts only the user key is reached with the forwarded agent', async () => {
    const sock = join(bastion.dir, 'agent.sock');
    const agent = await run('ssh-agent', ['-a', sock]);
    assert.equal(agent.code, 0, agent.stderr);
    const pid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)![1]!;
    const env = { ...process.env, SSH_AUTH_SOCK: sock };
    try {
      assert.equal((await run('ssh-add', [aliceKey], { env })).code, 0);
      const noAgent = await ssh(cfg, ['web2', 'true'], { env });
      expectLine(noAgent, /target 'web2' did not accept fumidai's key for login 'fumidaitest' \(UPSTREAM_AUTH_FAILED\)/);
      for (const args of [['-A', 'web2'], ['-A', '-l', `${LOGIN}@web2`, 'bastion']]) {
        const r = await ssh(cfg, [...args, 'echo agent-ok'], { env });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, 'agent-ok\n');
        assert.doesNotMatch(r.stderr, /agent was not used/);
      }
      const viaAgent = await bastion.waitForEvents('TargetConnect', 2, (e) => e.target === 'web2');
      assert.deepEqual(viaAgent.map((e) => e.credential), ['forwarded agent', 'forwarded agent'], 'TargetConnect says what logged in');
      // web1 trusts only fumidai's key: the agent is tried, then fumidai's key logs in, and the user is told.
      const fallback = await ssh(cfg, ['-A', 'web1', 'echo fallback-ok'], { env });
      assert.equal(fallback.stdout, 'fallback-ok\n', fallback.stderr);
      assert.match(fallback.stderr, /^fumidai: your forwarded agent was not used to log in to web1 \(the target accepted none of its keys\): logged in with fumidai's key$/m);
      const byKey = await bastion.waitForEvents('TargetConnect', 1, (e) => e.target === 'web1' && e.credential === 'fumidai key');
      assert.equal(byKey.length, 1);
    } finally {
      process.kill(Number(pid));
    }
  });

  test('a target dying mid-session ends that session with a message; 20 others continue', async () => {
    const ticks = 'for i in $(seq 1 30); do echo tick $i; sleep 0.1; done';
    const others = Array.from({ length: 20 }, () => ssh(cfg, ['web1', ticks], { timeoutMs: 60_000 }));
    const doomed = ssh(cfg, ['doomed', 'echo started; sleep 60'], { timeoutMs: 60_000 });
    // Killed once its command runs (21 sessions opening at once on 2 cores can take more than a second or two).
    const opened = await bastion.waitForEvents('ChannelOpen', 1, (e) => String(e.command).startsWith('echo started; sleep 60'), 30_000);
    assert.equal(opened.length, 1, 'the doomed session opened its channel');
    await new Promise((r) => setTimeout(r, 500));
    await targets[2]!.kill();
    const d = await doomed;
    assert.equal(d.code, 255, d.stderr);
    assert.match(d.stdout, /started/);
    assert.match(d.stderr, /fumidai: connection to target 'doomed' was lost \(UPSTREAM_LOST\)/, bastion.log.split('\n').filter((l) => l.includes('doomed')).join('\n'));
    for (const o of await Promise.all(others)) {
      assert.equal(o.code, 0, o.stderr);
      assert.equal(o.stdout.split('\n').filter((l) => l.startsWith('tick')).length, 30);
    }
  });

  // The classic script bastion fails this: its `script` and second ssh outlive the departed client (bench/lib/script-bastion.ts).
  test('a client that vanishes ends its target session too: nothing is left running on the target', async () => {
    const onTarget = async () => (await run('pgrep', ['-f', 'sleep 3517'])).stdout.trim();
    const client = spawn('ssh', ['-F', cfg, '-tt', 'web1', 'echo up; exec sleep 3517'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = once(client, 'exit');
    let out = '';
    client.stdout!.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!out.includes('up') || !(await onTarget())) {
      assert.ok(Date.now() < deadline, `the session never came up: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    client.kill('SIGKILL'); // no EOF, no close: the TCP connection just drops
    await exited;
    const liveSessions = async () => (await bastion.cli(['sessions', 'list', '--live', '--json'])).stdout.split('\n').filter(Boolean).length;
    const gone = Date.now() + 10_000;
    while ((await onTarget()) || (await liveSessions())) {
      assert.ok(Date.now() < gone, `10 s later: target still runs '${await onTarget()}', ${await liveSessions()} session(s) live in the index`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  test('after all of this, fumidai still serves', async () => {
    const r = await ssh(cfg, ['web1', 'echo still-here']);
    assert.equal(r.stdout, 'still-here\n');
    assert.equal(bastion.process?.exitCode, null);
  });
});
