// Certificates in the console: alice, signed in through the IdP, pastes a key that is registered nowhere and gets a
// certificate from fumidai's CA (the issuer of `ssh alice@bastion cert`, CertificateIssued with via: console); stock
// ssh then logs in with that key and certificate. A line that is not a public key is refused with the reason.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ssh } from './helpers/fumidai.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';
import { CHROMIUM, launchPinned } from './helpers/web-console.js';
import { ssoSignIn, startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

describe('certificates in the console', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  let c: SsoConsole;
  let web1: Target;
  let browser: Browser;

  before(async () => {
    c = await startSsoConsole({ alice: { groups: ['ops'] } }, async (b) => {
      web1 = await b.addTarget('web1');
      await b.addUser('alice');
      await b.cli(['grant', 'alice', 'web1']);
    });
    browser = await launchPinned(c.ca);
  });
  after(async () => {
    await browser?.close();
    await c?.bastion.stop();
    await web1?.stop();
    await c?.idp.stop();
  });

  test('alice pastes a new key, gets a certificate, and stock ssh logs in with it', { timeout: 90_000 }, async () => {
    const fresh = await keygen(join(c.bastion.dir, 'laptop_key'));
    const cfg = c.bastion.sshConfig('alice', fresh.priv, { web1: LOGIN });
    const before = await ssh(cfg, ['web1', 'echo in'], { timeoutMs: 20_000 });
    assert.notEqual(before.code, 0, 'an unregistered key alone does not log in');

    const context = await browser.newContext({ viewport: { width: 1200, height: 600 } });
    const page = await context.newPage();
    await ssoSignIn(page, c.base, 'alice');
    await page.waitForURL(`${c.base}/sessions`);
    await page.click('nav a[href="/certificate"]');
    await page.fill('#key', 'ssh-ed25519 not-a-key');
    await page.click('#issue');
    assert.match((await page.textContent('.error'))!, /the pasted key: not a usable SSH public key/);
    await page.fill('#key', readFileSync(fresh.pub, 'utf8'));
    await page.fill('#for', '1h');
    await page.click('#issue');
    const line = (await page.textContent('#cert'))!;
    assert.match(line, /^ssh-ed25519-cert-v01@openssh\.com AAAA\S+ fumidai:alice:\d+\n?$/);
    const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(c.bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'cert-1-issued.png'), fullPage: true });
    await context.close();

    writeFileSync(`${fresh.priv}-cert.pub`, `${line.trim()}\n`);
    const login = await ssh(cfg, ['web1', 'echo in'], { timeoutMs: 20_000 });
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'in\n');
    const issued = (await c.bastion.waitForEvents('CertificateIssued', 1))[0]!;
    assert.equal(issued.user, 'alice');
    assert.equal(issued.via, 'console');
    const ok = (await c.bastion.waitForEvents('AuthSuccess', 1, (e) => e.method === 'certificate'))[0]!;
    assert.equal((ok.certificate as { keyId: string }).keyId, issued.keyId);
  });
});
