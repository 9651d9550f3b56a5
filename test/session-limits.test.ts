// Sessions end on their own clock (idle timeout, maximum length) and at once when access is revoked, with a message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run, type RunResult } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('session limits and revocation', () => {
  const bastion = new Bastion();
  let web1: Target;
  const keys: Record<string, string> = {};

  before(async () => {
    await bastion.init({ 'idleTimeout: 900': 'idleTimeout: 4', 'maxLength: 43200': 'maxLength: 8', 'warning: 60': 'warning: 2' });
    web1 = await bastion.addTarget('web1');
    for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
      keys[u] = await bastion.addUser(u);
      await bastion.cli(['grant', u, 'web1']);
    }
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('an idle terminal is warned, then ended; output alone does not keep it alive', async () => {
    const script = JSON.stringify([
      { expect: '\\$ ' },
      { send: 'while true; do echo tick; sleep 0.5; done\r' },
      { expect: 'ends in \\d+s unless you type something', timeout: 10 },
      { expect: 'session ended: no input for 4s \\(IDLE_TIMEOUT\\)', timeout: 10 },
    ]);
    const r = await run('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', bastion.sshConfig('alice', keys.alice!, { web1: LOGIN }), '-tt', 'web1'], { timeoutMs: 30_000 });
    assert.equal(r.code, 255, r.stdout);
    assert.ok(bastion.events('IdleTimeout').some((e) => e.user === 'alice'));
  });

  test('the maximum length ends a busy session, with a warning first', async () => {
    const started = Date.now();
    const r = await run('ssh', ['-F', bastion.sshConfig('bob', keys.bob!, { web1: LOGIN }), 'web1', 'for i in $(seq 1 40); do echo tick; sleep 0.5; done'], { timeoutMs: 30_000 });
    const elapsed = (Date.now() - started) / 1000;
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stderr, /reaches its maximum length in \d+s/);
    assert.match(r.stderr, /fumidai: session ended: session reached its maximum length of 8s \(SESSION_TOO_LONG\)/);
    assert.ok(elapsed >= 7 && elapsed < 15, `ended after ${elapsed}s`);
    assert.ok(r.stdout.split('\n').filter((l) => l === 'tick').length >= 10, 'exec output kept the session from idling out');
  });

  const revokedWhileLive = async (user: string, revoke: () => Promise<unknown>): Promise<{ r: RunResult; afterRevokeMs: number }> => {
    // Output keeps an exec session from idling out (4 s here) while a loaded machine runs the revoking command.
    const session = ssh(bastion.sshConfig(user, keys[user]!, { web1: LOGIN }), ['web1', 'echo started; while :; do sleep 0.5; echo tick; done'], { timeoutMs: 30_000 });
    await new Promise((res) => setTimeout(res, 1500));
    await revoke();
    const t0 = Date.now();
    const r = await session;
    return { r, afterRevokeMs: Date.now() - t0 };
  };

  test('revocation ends live sessions at once: removed user, removed key, revoked grant', async () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ['carol', () => bastion.cli(['user', 'remove', 'carol']), /user 'carol' was removed|the key \S+ was removed/],
      ['dave', () => bastion.cli(['revoke', 'dave', 'web1']), /user 'dave' has no access to 'web1'/],
    ];
    for (const [user, revoke, reason] of cases) {
      const { r, afterRevokeMs } = await revokedWhileLive(user, revoke);
      assert.equal(r.code, 255, r.stderr);
      assert.match(r.stdout, /^started\n(tick\n)*$/);
      assert.match(r.stderr, /fumidai: session ended, access revoked: .* \(ACCESS_REVOKED\)/);
      assert.match(r.stderr, reason);
      console.log(`# ${user}: session ended ${afterRevokeMs} ms after the revoking command returned`);
      assert.ok(afterRevokeMs < 3000, `took ${afterRevokeMs} ms`);
    }
    // A removed key: alice keeps her account but loses the key's sessions.
    const fp = /SHA256:\S+/.exec((await bastion.cli(['user', 'list'])).stdout.split('\n').find((l) => l.startsWith('alice'))!)![0];
    const { r } = await revokedWhileLive('alice', () => bastion.cli(['user', 'remove-key', 'alice', fp.replace(/,$/, '')]));
    assert.match(r.stderr, /access revoked: the key SHA256:\S+ was removed/);
    // With -J both the outer connection and the inner session are ended.
    assert.deepEqual([...new Set(bastion.events('SessionRevoked').map((e) => e.user))].sort(), ['alice', 'carol', 'dave']);
  });

  test('config reload on SIGHUP: an invalid file keeps the running config and says why; a valid one applies', async () => {
    const file = join(bastion.data, 'fumidai.yaml');
    const good = readFileSync(file, 'utf8');
    const waitFor = async (event: string, n: number) => {
      for (let i = 0; i < 50 && bastion.events(event).length < n; i++) await new Promise((r) => setTimeout(r, 100));
      return bastion.events(event);
    };
    writeFileSync(file, good.replace('idleTimeout: 4', 'idleTimeout: soon'));
    bastion.process!.kill('SIGHUP');
    const failed = await waitFor('ConfigReloadFailed', 1);
    assert.match(String(failed[0]?.reason), /fumidai\.yaml: line \d+, field session\.idleTimeout: Expected number/);
    const still = await ssh(bastion.sshConfig('bob', keys.bob!, { web1: LOGIN }), ['web1', 'echo still']);
    assert.equal(still.stdout, 'still\n', 'the running configuration goes on serving');
    writeFileSync(file, good.replace('maxLength: 8', 'maxLength: 9'));
    bastion.process!.kill('SIGHUP');
    const reloaded = await waitFor('ConfigReloaded', 1);
    assert.deepEqual(reloaded[0]?.changed, ['session']);
    writeFileSync(file, good.replace('listen: 127.0.0.1:2222', 'listen: 127.0.0.1:2223'));
    // The file watcher notices without a signal. It may also reload a write the SIGHUP already did: that is no news,
    // so each change gives one event.
    const aboutListen = () => bastion.events('ConfigReloaded').find((e) => String(e.needsRestart) === 'listen');
    for (let i = 0; i < 50 && !aboutListen(); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(aboutListen()?.needsRestart, ['listen']);
    await new Promise((r) => setTimeout(r, 1500)); // a poll of the watcher after the last write
    assert.equal(bastion.events('ConfigReloaded').length, 2, 'one event per change');
  });

  test('user disable ends live sessions and refuses logins, enable lets in again; sessions kill ends exactly one session', async () => {
    const { r } = await revokedWhileLive('erin', () => bastion.cli(['user', 'disable', 'erin']));
    assert.equal(r.code, 255);
    assert.match(r.stderr, /fumidai: session ended, access revoked: user 'erin' is disabled \(ACCESS_REVOKED\)/);
    const erin = bastion.sshConfig('erin', keys.erin!, { web1: LOGIN });
    assert.equal((await ssh(erin, ['web1', 'true'])).code, 255, 'a disabled user cannot log in');
    assert.match((await bastion.cli(['user', 'list'])).stdout, /^erin\s+disabled/m);
    await bastion.cli(['user', 'enable', 'erin']);
    assert.equal((await ssh(erin, ['web1', 'echo back'])).stdout, 'back\n');

    // Two sessions of one user: the one killed ends with the reason, the other goes on.
    const frank = bastion.sshConfig('frank', keys.frank!, { web1: LOGIN });
    const doomed = ssh(frank, ['web1', 'echo started; while :; do sleep 0.5; echo tick; done'], { timeoutMs: 30_000 });
    const spared = ssh(frank, ['web1', 'for i in 1 2 3 4 5 6; do sleep 0.5; echo tick; done; echo spared'], { timeoutMs: 30_000 });
    // (Quickly: this bastion's sessions last at most 8 s.)
    const doomedKey = String((await bastion.waitForEvents('ChannelOpen', 1, (e) => e.user === 'frank' && String(e.command).startsWith('echo started')))[0]!.sessionId);
    await bastion.cli(['sessions', 'kill', doomedKey, '--reason', 'suspicious activity']);
    const d = await doomed;
    assert.equal(d.code, 255);
    assert.match(d.stderr, /fumidai: session ended, access revoked: an administrator ended this session: suspicious activity \(ACCESS_REVOKED\)/);
    assert.match((await spared).stdout, /tick\nspared\n$/);
    const again = await bastion.cli(['sessions', 'kill', doomedKey], true);
    assert.match(again.stderr, /fumidai: .*is not live \(closed\) \(ARGUMENT_INVALID\)/);
    assert.match((await bastion.cli(['sessions', 'kill', 'nope'], true)).stderr, /no session with audit key 'nope' \(SESSION_UNKNOWN\)/);
  });
});
