// The lockout holds at every factor: connections already waiting at the code prompt when the user gets locked are
// refused even a valid code, the failures stay, and only a few connections per user may wait there at once. Held at
// the prompt with ssh2's client (which can wait there as long as a test needs), locked and refused with OpenSSH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import ssh2 from 'ssh2';
import { Bastion } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const totp = async (secret: string, offsetSec = 0) =>
  (await run('oathtool', ['--totp', '-b', ...(offsetSec ? ['-N', `+${offsetSec} seconds`] : []), secret])).stdout.trim();

/** Waits until the current 30 s step has at least `need` seconds left, so codes computed now stay valid. */
const freshStep = async (need: number) => {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < need) await new Promise((r) => setTimeout(r, left * 1000 + 200));
};

interface AtPrompt {
  /** Resolves with the function that answers the code prompt, once it is shown. */
  prompted: Promise<(code: string) => void>;
  /** 'ready' when let in, else the client's error. */
  outcome: Promise<string>;
  client: ssh2.Client;
}

/** An ssh2 client that logs in with the key and then holds at the code prompt until answered. */
function atPrompt(port: number, key: string, from: string): AtPrompt {
  const client = new ssh2.Client();
  const outcome = new Promise<string>((resolve) => {
    client.on('ready', () => resolve('ready'));
    client.on('error', (err) => resolve(err.message));
    client.on('close', () => resolve('closed'));
  });
  const prompted = new Promise<(code: string) => void>((resolve, reject) => {
    client.on('keyboard-interactive', (_name, _instructions, _lang, _prompts, finish) => resolve((code) => finish([code])));
    void outcome.then((how) => reject(new Error(`no code prompt: ${how}`)));
  });
  prompted.catch(() => undefined); // awaited by the test; an early end is its failure there
  client.connect({ host: '127.0.0.1', port, localAddress: from, username: 'web1', privateKey: readFileSync(key), tryKeyboard: true, authHandler: ['publickey', 'keyboard-interactive'], readyTimeout: 60_000 });
  return { prompted, outcome, client };
}

describe('lockout at every factor', () => {
  const bastion = new Bastion();
  let web1: Target;
  const keys: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const opened: ssh2.Client[] = [];
  const hold = (user: string, from: string) => {
    const p = atPrompt(bastion.port, keys[user]!, from);
    opened.push(p.client);
    return p;
  };
  /** One OpenSSH login answering `code` at the prompt (sshpass types it). */
  const login = (user: string, code: string, from: string) =>
    run('sshpass', ['-P', 'Verification code', '-p', code, 'ssh', '-F', bastion.sshConfig(user, keys[user]!, { web1: LOGIN }, ['BatchMode no', 'LogLevel INFO', 'NumberOfPasswordPrompts 1', `BindAddress ${from}`]), '-l', 'web1', 'bastion', 'echo in'], { timeoutMs: 30_000 });
  const failureRow = (user: string) => {
    const db = new Database(join(bastion.data, 'fumidai.db'), { readonly: true });
    try {
      return db.prepare('SELECT consecutive, locked_until FROM auth_failures WHERE user = ?').get(user) as { consecutive: number; locked_until: string | null } | undefined;
    } finally {
      db.close();
    }
  };

  before(async () => {
    await bastion.init({ 'lockAfter: 10': 'lockAfter: 3' });
    web1 = await bastion.addTarget('web1');
    for (const user of ['dave', 'erin']) {
      keys[user] = await bastion.addUser(user);
      await bastion.cli(['grant', user, 'web1']);
      secrets[user] = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['mfa', 'enroll', user])).stdout)![1]!;
    }
    await bastion.start();
  });
  after(async () => {
    for (const c of opened) c.end();
    await bastion.stop();
    await web1?.stop();
  });

  test('connections waiting at the prompt when the user gets locked: a valid code is refused, the failures stay', async () => {
    await freshStep(25);
    const [a, b] = [hold('dave', '127.0.0.5'), hold('dave', '127.0.0.5')];
    const [answerA, answerB] = await Promise.all([a.prompted, b.prompted]);
    // Failures on another connection lock dave while both wait.
    for (let i = 0; i < 3; i++) assert.notEqual((await login('dave', '000000', '127.0.0.6')).code, 0);
    assert.equal((await bastion.waitForEvents('UserLocked', 1, (e) => e.user === 'dave')).length, 1);
    const [now, next] = [await totp(secrets.dave!), await totp(secrets.dave!, 30)];
    answerA(now);
    assert.notEqual(await a.outcome, 'ready', 'a valid code while locked does not let in');
    answerB(next);
    assert.notEqual(await b.outcome, 'ready');
    const dave = (e: Record<string, unknown>) => e.user === 'dave';
    assert.equal(bastion.events('AuthSuccess').filter(dave).length, 0);
    assert.equal(bastion.events('MfaSuccess').filter(dave).length, 0, 'the code is not even looked at');
    assert.ok(bastion.events('AuthFailure').filter(dave).filter((e) => /^locked until /.test(String(e.reason))).length >= 2);
    const row = failureRow('dave');
    assert.equal(row?.consecutive, 3, 'the failure count is not cleared');
    assert.ok(row?.locked_until && Date.parse(row.locked_until) > Date.now(), 'the lock stays');
  });

  test('at most auth.maxPendingMfa (3) connections per user wait at the prompt; the next is refused and told why', async () => {
    await freshStep(20);
    const waiting = [hold('erin', '127.0.0.7'), hold('erin', '127.0.0.7'), hold('erin', '127.0.0.8')];
    const answers = await Promise.all(waiting.map((w) => w.prompted));
    const r = await login('erin', '000000', '127.0.0.9');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fumidai: 3 logins of user 'erin' already wait for a verification code; answer or close one of them, then try again \(MFA_PENDING_LIMIT\)/);
    assert.ok(bastion.events('AuthFailure').some((e) => e.user === 'erin' && /auth\.maxPendingMfa/.test(String(e.reason))));
    assert.equal(bastion.events('MfaFailure').filter((e) => e.user === 'erin').length, 0, 'the refused one never got to guess');
    // A place given back (the client went away) is free again, and a waiting one still gets in with a good code.
    waiting[0]!.client.end();
    await waiting[0]!.outcome;
    const fourth = hold('erin', '127.0.0.9');
    await fourth.prompted;
    answers[1]!(await totp(secrets.erin!));
    assert.equal(await waiting[1]!.outcome, 'ready');
  });
});
