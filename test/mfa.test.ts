// TOTP second factor and brute-force defences, with codes from oathtool (an implementation we did not write).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';

const totp = async (secret: string, offsetSec = 0) =>
  (await run('oathtool', ['--totp', '-b', ...(offsetSec ? ['-N', `${offsetSec >= 0 ? '+' : ''}${offsetSec} seconds`] : []), secret])).stdout.trim();

/** Waits until the current 30 s step has at least `need` seconds left, so codes computed now stay valid. */
const freshStep = async (need = 12) => {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < need) await new Promise((r) => setTimeout(r, left * 1000 + 200));
};

describe('mfa and brute force', () => {
  const bastion = new Bastion();
  let web1: Target;
  const keys: Record<string, string> = {};
  const secrets: Record<string, string> = {};

  // Each user connects from its own loopback address, so the per-address ban of one test does not touch the others.
  const from: Record<string, string> = { alice: '127.0.0.1', mallory: '127.0.0.3', carol: '127.0.0.1' };
  const login = (user: string, code: string, args: string[] = ['-l', 'web1', 'bastion', 'echo in']) =>
    run('sshpass', ['-P', 'Verification code', '-p', code, 'ssh', '-F', bastion.sshConfig(user, keys[user]!, { web1: LOGIN }, ['BatchMode no', 'LogLevel INFO', 'NumberOfPasswordPrompts 1', `BindAddress ${from[user]}`]), ...args], { timeoutMs: 30_000 });

  before(async () => {
    await bastion.init({ 'lockAfter: 10': 'lockAfter: 3', 'banAfter: 20': 'banAfter: 6' });
    web1 = await bastion.addTarget('web1');
    for (const user of ['alice', 'mallory', 'carol']) {
      keys[user] = await bastion.addUser(user);
      await bastion.cli(['grant', user, 'web1']);
      if (user === 'carol') continue;
      const out = (await bastion.cli(['mfa', 'enroll', user])).stdout;
      assert.doesNotMatch(out, /\x1b\[|▄|█/, 'no QR code (terminal colours) into a pipe');
      secrets[user] = /secret=([A-Z2-7]+)/.exec(out)![1]!;
    }
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('enrolled user: public key alone is not enough (BatchMode cannot answer the prompt)', async () => {
    const r = await ssh(bastion.sshConfig('alice', keys.alice!), ['-l', 'web1', 'bastion', 'true']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /Permission denied \(keyboard-interactive\)/);
  });

  test('TOTP: drifted by one step, current, replayed, wrong, and too far off', async () => {
    await freshStep();
    const [previous, current, next, farOff] = await Promise.all([totp(secrets.alice!, -30), totp(secrets.alice!), totp(secrets.alice!, 30), totp(secrets.alice!, -120)]);
    let r = await login('alice', previous);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'in\n');
    r = await login('alice', current, ['web1', 'echo via-jump']); // the -J hop asks for the code too
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'via-jump\n');
    r = await login('alice', current);
    assert.notEqual(r.code, 0, 'a code is accepted once');
    // The client is told why, before its next prompt or its final failure (not only the server log).
    assert.match(r.stderr, /^fumidai: verification code refused: that code was already used: each code works once, wait for the next one .*\(MFA_CODE_REFUSED\)/m);
    r = await login('alice', next);
    assert.equal(r.code, 0, r.stderr);
    r = await login('alice', '000000' === next ? '111111' : '000000');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^fumidai: verification code refused: wrong code \(is the clock of the device that shows it right\?\)/m);
    r = await login('alice', farOff);
    assert.notEqual(r.code, 0);
    const reasons = bastion.events('MfaFailure').filter((e) => e.user === 'alice').map((e) => e.reason);
    assert.deepEqual(reasons, ['code already used', 'wrong code', 'wrong code']);
    assert.equal(bastion.events('MfaSuccess').filter((e) => e.user === 'alice').length, 3);
    assert.doesNotMatch(bastion.log, new RegExp(secrets.alice!), 'the seed never reaches the log');
    await bastion.cli(['user', 'unlock', 'alice']);
  });

  test('a user is locked after consecutive failures, sees why, and an admin unlocks', async () => {
    for (let i = 0; i < 3; i++) assert.notEqual((await login('mallory', '000000')).code, 0);
    await freshStep();
    let r = await login('mallory', await totp(secrets.mallory!));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fumidai: user 'mallory' is locked until \S+ after repeated failures; an admin can run 'fumidai user unlock mallory' \(USER_LOCKED\)/);
    await bastion.cli(['user', 'unlock', 'mallory']);
    await freshStep();
    r = await login('mallory', await totp(secrets.mallory!, 30));
    assert.equal(r.code, 0, r.stderr);
  });

  test('mfa enroll draws the QR code on a terminal (a pty here), and only the URI into a pipe', async () => {
    await bastion.addUser('quinn');
    const r = await run('script', ['-qec', `${process.execPath} ${join(ROOT, 'bin/fumidai.js')} mfa enroll quinn --data ${bastion.data}`, '/dev/null'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /▄|█/);
    assert.match(r.stdout, /otpauth:\/\/totp\/fumidai:quinn\?issuer=fumidai&secret=/);
  });

  test('mfa reset: the user logs in with the key alone again', async () => {
    await bastion.cli(['mfa', 'reset', 'mallory']);
    const r = await ssh(bastion.sshConfig('mallory', keys.mallory!, {}, ['BindAddress 127.0.0.3']), ['-l', 'web1', 'bastion', 'echo plain']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a flood from one address gets it banned while another address still logs in', async () => {
    const { priv } = await keygen(join(bastion.dir, 'attacker'));
    const attacker = bastion.sshConfig('carol', priv, {}, ['BindAddress 127.0.0.2']);
    for (let i = 0; i < 6; i++) await ssh(attacker, ['-l', 'web1', 'bastion', 'true']);
    const banned = await ssh(attacker, ['-l', 'web1', 'bastion', 'true']);
    assert.equal(banned.code, 255);
    assert.ok(bastion.events('SourceBanned').length >= 1);
    assert.ok(bastion.events('ConnectionRefused').some((e) => e.sourceIp === '127.0.0.2'));
    const ok = await ssh(bastion.sshConfig('carol', keys.carol!), ['-l', 'web1', 'bastion', 'echo still-in']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'still-in\n');
  });
});

describe('mfa self-enrolment', () => {
  const bastion = new Bastion();
  let web1: Target;
  let key: string;
  before(async () => {
    await bastion.init({ 'mfa: if-enrolled': 'mfa: required', 'selfEnroll: false': 'selfEnroll: true' });
    web1 = await bastion.addTarget('web1');
    key = await bastion.addUser('erin');
    await bastion.cli(['grant', 'erin', 'web1']);
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('a user without a second factor sets one up at first login by confirming a code', async () => {
    await freshStep();
    const cfg = bastion.sshConfig('erin', key, { web1: LOGIN }, ['BatchMode no', 'LogLevel INFO']);
    const script = JSON.stringify([{ expect: 'Verification code' }, { send_totp: 'secret=([A-Z2-7]+)' }, { expect: 'enrolled-ok' }]);
    const r = await run('python3', [join(ROOT, 'test/helpers/pty_drive.py'), '40', '120', script, '--', 'ssh', '-F', cfg, '-l', 'web1', 'bastion', 'echo enrolled-ok'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /Set up your second factor/);
    assert.match(r.stdout, /otpauth:\/\/totp\/fumidai:erin\?/);
    assert.equal(bastion.events('MfaEnrolled').length, 1);
    // From now on the kept secret is asked for: the key alone is not enough.
    const again = await ssh(bastion.sshConfig('erin', key), ['-l', 'web1', 'bastion', 'true']);
    assert.match(again.stderr, /Permission denied \(keyboard-interactive\)/);
  });
});
