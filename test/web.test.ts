// The web console in Debian's Chromium and over pinned HTTPS: login with password and TOTP, the sessions list with a
// session made through ssh, and the security rules (no answer without a session, CSRF, lockout, headers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { type Answer, CHROMIUM, consoleBase, fetchPinned as fetchFrom, freshStep, launchPinned, readTrail, totp } from './helpers/web-console.js';

describe('web console', () => {
  const bastion = new Bastion();
  let target: Target;
  let base = '';
  let ca: Buffer;
  const secrets: Record<string, string> = {};
  const PASSWORD = 'correct horse battery staple';

  const fetchPinned = (path: string, opts: Parameters<typeof fetchFrom>[3] = {}) => fetchFrom(base, ca, path, opts);
  const cookiesOf = (a: Answer) => ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
  /** The login form's CSRF token and cookie. */
  const loginForm = async () => {
    const a = await fetchPinned('/login');
    return { cookie: cookiesOf(a), csrf: /name="_csrf" value="([^"]+)"/.exec(a.body)![1]! };
  };

  before(async () => {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const { target: t, cfg } = await bastion.startWith('alice', 'web1');
    target = t;
    assert.equal((await ssh(cfg, ['web1', 'echo web-marker'])).stdout, 'web-marker\n');
    base = await consoleBase(bastion);
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    for (const name of ['ann', 'bob']) {
      const out = (await bastion.cli(['web', 'user', 'add', name, '--role', 'auditor', '--password-file', pwFile, '--totp'])).stdout;
      secrets[name] = /secret=([A-Z2-7]+)/.exec(out)![1]!;
    }
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  test('init prints the certificate fingerprint, and serve logs the same one', async () => {
    const fp = new X509Certificate(ca).fingerprint256;
    assert.match((await bastion.cli(['init'])).stdout, new RegExp(`web console certificate: SHA-256 ${fp} `));
    assert.match(bastion.log, new RegExp(`"certSha256":"${fp}"`));
  });

  test('without a session: pages redirect to /login, the API answers 401; headers carry CSP, HSTS, frame denial', async () => {
    for (const path of ['/', '/sessions']) {
      const a = await fetchPinned(path);
      assert.equal(a.status, 303, path);
      assert.equal(a.headers.location, '/login');
    }
    const api = await fetchPinned('/api/sessions');
    assert.equal(api.status, 401);
    assert.doesNotMatch(api.body, /web-marker|alice/);
    const a = await fetchPinned('/login');
    const csp = String(a.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.match(String(a.headers['strict-transport-security']), /max-age=31536000/);
    assert.equal(a.headers['x-frame-options'], 'DENY');
    assert.match(String(a.headers['set-cookie']), /Secure; SameSite=Strict|HttpOnly; Secure; SameSite=Strict/);
  });

  test('POST /login without the CSRF token, or with a wrong one, is refused with 403', async () => {
    const { cookie, csrf } = await loginForm();
    assert.equal((await fetchPinned('/login', { method: 'POST', cookie, form: { name: 'ann', password: PASSWORD } })).status, 403);
    assert.equal((await fetchPinned('/login', { method: 'POST', cookie, form: { name: 'ann', password: PASSWORD, _csrf: `${csrf}x` } })).status, 403);
    assert.equal((await fetchPinned('/login', { method: 'POST', form: { name: 'ann', password: PASSWORD, _csrf: csrf } })).status, 403, 'token without its cookie');
  });

  test('five wrong passwords lock the account: the right password and code are then refused', async () => {
    for (let i = 0; i < 5; i++) {
      const { cookie, csrf } = await loginForm();
      assert.equal((await fetchPinned('/login', { method: 'POST', cookie, form: { name: 'bob', password: 'wrong password!', _csrf: csrf } })).status, 401);
    }
    await freshStep();
    const { cookie, csrf } = await loginForm();
    const step1 = await fetchPinned('/login', { method: 'POST', cookie, form: { name: 'bob', password: PASSWORD, _csrf: csrf } });
    assert.equal(step1.status, 200, 'the code step (the lock is not told before it)');
    const next = `${cookie}; ${cookiesOf(step1)}`;
    const token = /name="_csrf" value="([^"]+)"/.exec(step1.body)![1]!;
    const step2 = await fetchPinned('/login/totp', { method: 'POST', cookie: next, form: { code: await totp(secrets.bob!), _csrf: token } });
    assert.equal(step2.status, 401, 'locked');
    assert.doesNotMatch(String(step2.headers['set-cookie']), /fumidai-session=[^;]/);
    assert.match(readTrail(bastion.data), /"eventName":"WebLoginFailure".*"step":"locked"/);
  });

  test('in Chromium: log in with password and TOTP, see the ssh session in the list; the API answers with the cookie', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
    const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    // The certificate pinned by its public key: Chromium trusts this one self-signed key and no other bad certificate.
    const browser = await launchPinned(ca);
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 700 } });
      const page = await context.newPage();
      await page.goto(`${base}/sessions`);
      assert.equal(new URL(page.url()).pathname, '/login');
      await page.fill('#name', 'ann');
      await page.fill('#password', PASSWORD);
      await page.screenshot({ path: join(shots, '1-login.png') });
      await freshStep();
      await page.click('button');
      await page.waitForSelector('#code');
      await page.fill('#code', await totp(secrets.ann!));
      await page.screenshot({ path: join(shots, '2-totp.png') });
      await page.click('main button');
      await page.waitForURL(`${base}/sessions`);
      const text = await page.textContent('main');
      assert.match(text!, /alice/);
      assert.match(text!, /exec: echo web-marker/);
      assert.match(text!, /web1/);
      await page.screenshot({ path: join(shots, '3-sessions.png'), fullPage: true });
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === '__Host-fumidai-session')!;
      assert.equal(session.httpOnly, true);
      assert.equal(session.secure, true);
      assert.equal(session.sameSite, 'Strict');
      const api = await fetchPinned('/api/sessions', { cookie: `${session.name}=${session.value}` });
      assert.equal(api.status, 200);
      const sessions = (JSON.parse(api.body) as { sessions: { user: string; what: string; kind: string }[] }).sessions;
      assert.ok(sessions.some((s) => s.user === 'alice' && s.what === 'exec: echo web-marker' && s.kind === 'exec'));
      await page.click('nav button'); // log out
      await page.waitForURL(`${base}/login`);
      assert.equal((await fetchPinned('/api/sessions', { cookie: `${session.name}=${session.value}` })).status, 401, 'the session ended with the logout');
      assert.match(readTrail(bastion.data), /"eventName":"WebLogin".*"user":"ann"|"user":"ann".*"eventName":"WebLogin"/);
    } finally {
      await browser.close();
    }
  });
});
