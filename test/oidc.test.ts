// Single sign-on: a stock ssh logs in through the OAuth device flow against a certified OpenID provider
// (oidc-provider) on 127.0.0.1; the test approves in the provider's own pages, as a person would in a browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion } from './helpers/fumidai.js';
import { startIdp, type Idp } from './helpers/oidc-idp.js';
import { LOGIN, type Target } from './helpers/sshd.js';

/** A stock ssh whose stderr is watched as it comes (the URL and code are printed before the login goes on). */
function sshLive(cfg: string, args: string[]) {
  const child = spawn('ssh', ['-F', cfg, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => child.on('close', (code) => r({ code, stdout, stderr })));
  const userCode = async (): Promise<string> => {
    for (let i = 0; i < 200; i++) {
      const m = /enter the code (\S+)/.exec(stderr);
      if (m) return m[1]!;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill();
    throw new Error(`no user code shown: ${stderr}`);
  };
  return { userCode, done, get stderr() { return stderr; } };
}

describe('single sign-on (OIDC device flow)', () => {
  const bastion = new Bastion();
  let idp: Idp;
  let web1: Target;
  const keys: Record<string, string> = {};
  const cfg = (user: string) => bastion.sshConfig(user, keys[user]!, { web1: LOGIN }, ['BatchMode no', 'LogLevel INFO', 'NumberOfPasswordPrompts 2']);

  before(async () => {
    idp = await startIdp({ alice: { groups: ['ops'] }, bob: { groups: ['dev'] } });
    const oidc = [
      '  secondFactor: oidc',
      '  oidc:',
      `    issuer: ${idp.issuer}`,
      `    clientId: ${idp.clientId}`,
      '    clientSecretFile: oidc.secret',
      '    scopes: [openid, profile, groups]',
      '    groupMap: { ops: [operators] }',
      '    allowInsecureLoopback: true',
      '    recheckInterval: 2',
      '    outageGrace: 3',
    ].join('\n');
    // The IdP is asked again every 2 s at most, on a live re-check every second.
    await bastion.init({ '  secondFactor: totp': oidc, '  recheckInterval: 60': '  recheckInterval: 1' });
    writeFileSync(join(bastion.data, 'oidc.secret'), `${idp.clientSecret}\n`, { mode: 0o600 });
    web1 = await bastion.addTarget('web1');
    for (const user of ['alice', 'bob']) keys[user] = await bastion.addUser(user);
    // No grant: only the IdP's group (ops -> operators) gives access to web1.
    await bastion.applyPolicy('groups:\n  operators: []\nrules:\n  - name: ops-web\n    effect: allow\n    groups: [operators]\n    targets: [web1]\n');
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
    await idp?.stop();
  });

  test('alice approves in the browser: the login goes on, her IdP group reaches web1, the IdP identity is recorded', async () => {
    const ssh = sshLive(cfg('alice'), ['-l', 'web1', 'bastion', 'echo in']);
    const code = await ssh.userCode();
    assert.match(ssh.stderr, new RegExp(`Open ${idp.issuer}/device`));
    const page = await idp.approve(code, 'alice');
    assert.match(page, /Sign-in Success/i);
    const r = await ssh.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'in\n');
    const ok = bastion.events('AuthSuccess').filter((e) => e.user === 'alice');
    assert.equal(ok.length, 1);
    assert.equal(ok[0]!.method, 'publickey+oidc');
    assert.deepEqual(ok[0]!.idp, { issuer: idp.issuer, sub: 'alice', groups: ['ops'], policyGroups: ['operators'] });
    assert.doesNotMatch(bastion.log, new RegExp(idp.clientSecret), 'the client secret never reaches the log');
  });

  test('bob approves too, but his IdP groups give no policy group: web1 is refused', async () => {
    const ssh = sshLive(cfg('bob'), ['-l', 'web1', 'bastion', 'echo in']);
    await idp.approve(await ssh.userCode(), 'bob');
    const r = await ssh.done;
    assert.notEqual(r.code, 0);
    assert.doesNotMatch(r.stdout, /in/);
    assert.match(r.stderr, /user 'bob' has no access to 'web1'/);
    const ok = bastion.events('AuthSuccess').filter((e) => e.user === 'bob');
    assert.deepEqual(ok.at(-1)!.idp, { issuer: idp.issuer, sub: 'bob', groups: ['dev'], policyGroups: [] });
  });

  test('a denial at the IdP refuses the login with a clear line and an AuthFailure', async () => {
    const ssh = sshLive(cfg('alice'), ['-l', 'web1', 'bastion', 'echo in']);
    await idp.deny(await ssh.userCode());
    const r = await ssh.done;
    assert.equal(r.code, 255);
    assert.match(r.stderr, /single sign-on refused: the login was denied at the IdP \(SSO_REFUSED\)/);
    const failures = bastion.events('AuthFailure').filter((e) => e.user === 'alice');
    assert.equal(failures.at(-1)!.reason, 'single sign-on: the login was denied at the IdP');
  });

  test('approved at the IdP by another person: refused (the user claim must name the key\'s user)', async () => {
    const ssh = sshLive(cfg('alice'), ['-l', 'web1', 'bastion', 'echo in']);
    await idp.approve(await ssh.userCode(), 'bob');
    const r = await ssh.done;
    assert.equal(r.code, 255);
    assert.match(r.stderr, /single sign-on refused: approved by 'bob' at the IdP, not by 'alice'/);
  });

  test('a code nobody approves expires: refused with a clear line', async () => {
    idp.deviceCodeTtl = 3;
    try {
      const ssh = sshLive(cfg('alice'), ['-l', 'web1', 'bastion', 'echo in']);
      await ssh.userCode();
      const r = await ssh.done;
      assert.equal(r.code, 255);
      assert.match(r.stderr, /single sign-on refused: the code expired before it was approved/);
    } finally {
      idp.deviceCodeTtl = 600;
    }
  });

  /** alice logged in through the IdP, in a session that would last 30 s; `change` is made at the IdP once it runs. */
  async function deprovisioned(change: () => void): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
    const before = bastion.events('SessionStart').length;
    const ssh = sshLive(cfg('alice'), ['-l', 'web1', 'bastion', 'echo started; sleep 30; echo never']);
    await idp.approve(await ssh.userCode(), 'alice');
    await bastion.waitForEvents('SessionStart', before + 1, () => true, 15_000);
    const t0 = Date.now();
    change();
    const r = await ssh.done;
    return { ...r, seconds: (Date.now() - t0) / 1000 };
  }

  test('deprovisioning: alice disabled at the IdP loses her live session within the interval', async () => {
    try {
      const r = await deprovisioned(() => (idp.accounts.alice!.disabled = true));
      assert.equal(r.stdout, 'started\n');
      assert.match(r.stderr, /fumidai: session ended, access revoked: single sign-on: the IdP no longer accepts this login \(invalid_token\) \(ACCESS_REVOKED\)/);
      assert.ok(r.seconds < 6, `ended after ${r.seconds} s`);
      assert.match(String(bastion.events('SessionRevoked').at(-1)!.reason), /the IdP no longer accepts this login/);
    } finally {
      idp.accounts.alice!.disabled = false;
    }
  });

  test('deprovisioning: alice taken out of ops at the IdP loses her live session on web1', async () => {
    try {
      const r = await deprovisioned(() => (idp.accounts.alice!.groups = []));
      assert.equal(r.stdout, 'started\n');
      assert.match(r.stderr, /fumidai: session ended, access revoked: user 'alice' has no access to 'web1' \(ACCESS_REVOKED\)/);
      assert.ok(r.seconds < 6, `ended after ${r.seconds} s`);
    } finally {
      idp.accounts.alice!.groups = ['ops'];
    }
  });

  // Last: the provider is stopped for good.
  test('an IdP silent for longer than outageGrace ends the live session it vouched for, with the reason and an IdpOutage', async () => {
    const r = await deprovisioned(() => void idp.stop());
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /fumidai: session ended, access revoked: single sign-on: the IdP has not answered for \d+ s \(.*\), longer than auth\.oidc\.outageGrace \(3 s\) \(ACCESS_REVOKED\)/);
    assert.ok(r.seconds < 8, `ended after ${r.seconds} s`);
    const outage = bastion.events('IdpOutage').at(-1)!;
    assert.equal(outage.user, 'alice');
    assert.equal(outage.graceSec, 3);
    assert.ok(Number(outage.silentSec) > 3);
    assert.equal(outage.issuer, idp.issuer);
  });
});
