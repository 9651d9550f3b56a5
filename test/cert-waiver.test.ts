// A rule's own certificate waiver with the stock client: alice (key and TOTP enrolled) holds a certificate fumidai
// issued; the staging rule says `mfa: true` and `waiveWithCertificate: true`, the prod rule only `mfa: true`. With the
// certificate she reaches staging through ProxyJump with no prompt; prod refuses her with the reason; without the
// certificate, the login asks for the code (refused in BatchMode). `fumidai policy check --certificate` says the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { Bastion, ssh } from './helpers/fumidai.js';
import { issueCert } from './helpers/certs.js';
import { LOGIN, type Target } from './helpers/sshd.js';

describe('per-rule certificate waiver', () => {
  const b = new Bastion();
  let s1: Target;
  let key = '';
  let secret = '';
  const cfg = () => b.sshConfig('alice', key, { s1: LOGIN, p1: LOGIN });

  before(async () => {
    await b.init();
    s1 = await b.addTarget('s1');
    await b.cli(['target', 'add', 'p1', '--host', '127.0.0.1', '--port', String(s1.port), '--login', LOGIN]);
    key = await b.addUser('alice');
    secret = /secret=([A-Z2-7]+)/.exec((await b.cli(['mfa', 'enroll', 'alice'])).stdout)![1]!;
    const applied = await b.applyPolicy(`
groups:
  ops: [alice]
targets:
  s1: { env: staging }
  p1: { env: prod }
rules:
  - name: staging-ansible
    effect: allow
    groups: [ops]
    targets: [env=staging]
    mfa: true
    waiveWithCertificate: true
  - name: prod
    effect: allow
    groups: [ops]
    targets: [env=prod]
    mfa: true
`);
    assert.equal(applied.code, 0, applied.stderr);
    await b.start();
  });
  after(async () => {
    await b.stop();
    await s1?.stop();
  });

  test('without a certificate the code is asked: refused in BatchMode on both targets', async () => {
    for (const t of ['s1', 'p1']) {
      const r = await ssh(cfg(), [t, 'echo in'], { timeoutMs: 20_000 });
      assert.notEqual(r.code, 0, t);
      // The code is asked (keyboard-interactive); a certificate could still be offered instead (publickey).
      assert.match(r.stderr, /Permission denied \(publickey,keyboard-interactive\)/, t);
    }
    assert.equal(b.events('AuthSuccess').length, 0);
    assert.ok(b.events('AuthPartial').length >= 2, 'key accepted, code asked');
  });

  test('with the certificate: staging with no prompt, prod refused with the reason', { timeout: 90_000 }, async () => {
    const issued = await issueCert(b, 'alice', key, secret, ['--for', '1h']);
    assert.equal(issued.code, 0, issued.stderr);
    writeFileSync(`${key}-cert.pub`, issued.stdout);
    const staging = await ssh(cfg(), ['s1', 'echo staging'], { timeoutMs: 20_000 });
    assert.equal(staging.stdout, 'staging\n', staging.stderr);
    const prod = await ssh(cfg(), ['p1', 'echo prod'], { timeoutMs: 20_000 });
    assert.notEqual(prod.code, 0);
    assert.equal(prod.stdout, '');
    assert.match(prod.stderr, /access denied: rule 'prod' requires a second factor \(TOTP\), which a certificate does not replace there: log in without the certificate/);
    const byCert = b.events('AuthSuccess').filter((e) => e.method === 'certificate');
    assert.ok(byCert.length >= 2, 'both logins by certificate alone');

    const check = (target: string, extra: string[]) => b.cli(['policy', 'check', 'alice', target, '--no-mfa', ...extra], true);
    const s = await check('s1', ['--certificate', 'own']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^ALLOW: allowed by rule 'staging-ansible' \(a certificate in place of the second factor\)/);
    const p = await check('p1', ['--certificate', 'own']);
    assert.equal(p.code, 2);
    assert.match(p.stdout, /^DENY: rule 'prod' requires a second factor \(TOTP\), which a certificate does not replace there/);
    assert.equal((await check('s1', ['--certificate', 'trusted'])).code, 2, "true waives for fumidai's own CA only");
    rmSync(`${key}-cert.pub`);
  });
});
