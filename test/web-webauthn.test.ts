// WebAuthn as the console's second factor, in Debian's Chromium with a virtual authenticator (CDP): a logged-in
// account adds a security key on /account, then logs in with password and key; a key whose signature counter does not
// go up, and a key of another account, are refused. The console is reached as https://localhost (web.rpId: localhost):
// browsers refuse WebAuthn for an IP address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { BrowserContext, Page } from 'playwright-core';
import { Bastion } from './helpers/fumidai.js';
import { type Answer, browserLogin, CHROMIUM, consoleBase, fetchPinned, freshStep, launchPinned, readTrail, totp } from './helpers/web-console.js';

describe('WebAuthn in Chromium', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  const bastion = new Bastion();
  let base = '';
  let ca: Buffer;
  let secret = '';
  let close = async () => undefined as unknown;
  let context: BrowserContext;
  const PASSWORD = 'correct horse battery staple';
  const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(bastion.dir, 'screenshots');
  const db = () => new Database(join(bastion.data, 'fumidai.db'));
  const trailLines = (re: RegExp) => readTrail(bastion.data).split('\n').filter((l) => re.test(l));

  /** Password, then the key step; `answer` runs in the page instead of a click on the button (a forged answer). */
  const keyLogin = async (page: Page, name: string, answer?: (page: Page) => Promise<void>) => {
    await page.goto(`${base}/login`);
    await page.fill('#name', name);
    await page.fill('#password', PASSWORD);
    await page.click('main button');
    await page.waitForSelector('#use-key');
    if (answer) await answer(page);
    else await Promise.all([page.waitForNavigation(), page.click('#use-key')]);
  };
  const addKey = async (page: Page, screenshot?: string) => {
    await page.goto(`${base}/account`);
    if (screenshot) await page.screenshot({ path: join(shots, screenshot), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click('#add-key')]);
    assert.match((await page.textContent('main'))!, /Security key added/);
  };
  const logout = async (page: Page) => Promise.all([page.waitForURL(`${base}/login`), page.click('nav button')]);

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await bastion.init({ '  # key: web.key\n': '  # key: web.key\n  rpId: localhost\n' });
    bastion.webListen = '127.0.0.1:0';
    await bastion.start();
    base = (await consoleBase(bastion)).replace('127.0.0.1', 'localhost');
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    secret = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['web', 'user', 'add', 'kay', '--role', 'admin', '--password-file', pwFile, '--totp'])).stdout)![1]!;
    await bastion.cli(['web', 'user', 'add', 'bob', '--role', 'auditor', '--password-file', pwFile]);
    const browser = await launchPinned(ca);
    close = () => browser.close();
    context = await browser.newContext({ viewport: { width: 1200, height: 650 } });
  });
  after(async () => {
    await close();
    await bastion.stop();
  });

  test('register a key on /account, log out, log in with password and key; a counter that does not go up is refused', async () => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await browserLogin(page, base, 'kay', PASSWORD, secret); // TOTP while there is no key
    await addKey(page, 'ident-1-account.png');
    await page.screenshot({ path: join(shots, 'ident-2-account-key.png'), fullPage: true });
    assert.equal(await page.locator('td.key-id').count(), 1);
    assert.equal(trailLines(/"eventCode":"FM5021I","eventName":"WebAuthnRegistered","user":"kay"/).length, 1);
    await logout(page);

    await page.goto(`${base}/login`);
    await page.fill('#name', 'kay');
    await page.fill('#password', PASSWORD);
    await page.click('main button');
    await page.waitForSelector('#use-key');
    assert.equal(await page.locator('#code').count(), 0, 'the key, not the TOTP code');
    await page.screenshot({ path: join(shots, 'ident-3-key-login.png') });
    await Promise.all([page.waitForURL(`${base}/sessions`), page.click('#use-key')]);
    assert.match(trailLines(/"eventName":"WebLogin","user":"kay"/).at(-1)!, /"method":"password\+webauthn"/);
    await logout(page);

    // The store says the key signed more often than it did: a clone of the key, or a replayed answer.
    const d = db();
    d.prepare("UPDATE webauthn_credentials SET counter = 1000000 WHERE account = 'kay'").run();
    d.close();
    await keyLogin(page, 'kay');
    assert.equal(new URL(page.url()).pathname, '/login/webauthn');
    assert.match((await page.textContent('main'))!, /Login refused/);
    assert.match(trailLines(/"eventName":"WebLoginFailure","user":"kay"/).at(-1)!, /"reason":"security key refused: [^"]*counter[^"]*".*"step":"webauthn"/);
    assert.equal((await page.context().cookies()).some((c) => c.name === '__Host-fumidai-session'), false);
  });

  test('a key of another account is refused even when it signs the right challenge', async () => {
    const page = context.pages()[0]!; // the page whose virtual authenticator holds kay's key
    // bob logs in with his password only (no second factor yet) and adds his own key on the same authenticator.
    await page.goto(`${base}/login`);
    await page.fill('#name', 'bob');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/sessions`), page.click('main button')]);
    await addKey(page);
    await logout(page);
    const d = db();
    const kayKey = (d.prepare("SELECT id FROM webauthn_credentials WHERE account = 'kay'").get() as { id: string }).id;
    d.close();
    // bob's key step, answered by kay's key: the authenticator signs bob's challenge with it.
    await keyLogin(page, 'bob', async (p) => {
      await Promise.all([
        p.waitForNavigation(),
        p.evaluate(async (id) => {
          const form = document.querySelector('form[data-webauthn]') as HTMLFormElement;
          const options = JSON.parse(form.dataset.options!);
          options.allowCredentials = [{ id, type: 'public-key' }];
          const answer = await (globalThis as never as { SimpleWebAuthnBrowser: { startAuthentication(o: unknown): Promise<unknown> } }).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
          (form.elements.namedItem('response') as HTMLInputElement).value = JSON.stringify(answer);
          HTMLFormElement.prototype.submit.call(form);
        }, kayKey),
      ]);
    });
    assert.match((await page.textContent('main'))!, /Login refused/);
    assert.match(trailLines(/"eventName":"WebLoginFailure","user":"bob"/).at(-1)!, /"reason":"security key refused: not a key of this account"/);
    assert.equal(trailLines(/"eventName":"WebLogin","user":"bob"/).filter((l) => l.includes('webauthn')).length, 0);
  });

  test('an account with a key: no TOTP step instead of the key, and by IP address it is told to use the DNS name', async () => {
    const cookiesOf = (a: Answer) => ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
    const password = async (at: string) => {
      const form = await fetchPinned(at, ca, '/login');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
      const r = await fetchPinned(at, ca, '/login', { method: 'POST', cookie: cookiesOf(form), form: { name: 'kay', password: PASSWORD, _csrf: csrf } });
      return { r, cookie: `${cookiesOf(form)}; ${cookiesOf(r)}`, csrf: /name="_csrf" value="([^"]+)"/.exec(r.body)?.[1] ?? csrf };
    };
    await freshStep();
    const step = await password(base);
    assert.match(step.r.body, /data-webauthn="login"/);
    const code = await fetchPinned(base, ca, '/login/totp', { method: 'POST', cookie: step.cookie, form: { code: await totp(secret), _csrf: step.csrf } });
    assert.equal(code.status, 303);
    assert.equal(code.headers.location, '/login', 'the key step cannot be answered with a code');
    assert.doesNotMatch(String(code.headers['set-cookie']), /fumidai-session=[^;]/);
    const byIp = await password(base.replace('localhost', '127.0.0.1'));
    assert.equal(byIp.r.status, 401);
    assert.match(byIp.r.body, /This account logs in with a security key: reach the console by its DNS name\./);
  });
  test('remove a key: the account\'s own only, never its last second factor; then the login asks for TOTP again', async () => {
    const page = context.pages()[0]!;
    const d = db();
    const kayKey = (d.prepare("SELECT id FROM webauthn_credentials WHERE account = 'kay'").get() as { id: string }).id;
    d.prepare("UPDATE webauthn_credentials SET counter = 0 WHERE account = 'kay'").run(); // undo the first test's clone
    d.close();
    const keysOf = (account: string) => {
      const x = db();
      const n = (x.prepare('SELECT count(*) AS n FROM webauthn_credentials WHERE account = ?').get(account) as { n: number }).n;
      x.close();
      return n;
    };
    // bob has a key and no TOTP: his key is his last second factor.
    await keyLogin(page, 'bob');
    await page.goto(`${base}/account`);
    await Promise.all([page.waitForNavigation(), page.click('button.remove-key')]);
    assert.match((await page.textContent('main'))!, /not removed: it is this account's last second factor/);
    assert.equal(keysOf('bob'), 1);
    // A forged form naming kay's key: not bob's, so nothing happens.
    await page.evaluate((id) => {
      (document.querySelector('form[action="/account/webauthn/remove"] input[name="id"]') as HTMLInputElement).value = id;
    }, kayKey);
    await Promise.all([page.waitForNavigation(), page.click('button.remove-key')]);
    assert.match((await page.textContent('main'))!, /this account has no such key/);
    assert.equal(keysOf('kay'), 1);
    await logout(page);
    // kay has TOTP too: her key goes, and the trail says so.
    await keyLogin(page, 'kay');
    assert.equal(new URL(page.url()).pathname, '/sessions');
    await page.goto(`${base}/account`);
    await Promise.all([page.waitForNavigation(), page.click('button.remove-key')]);
    await page.screenshot({ path: join(shots, 'ident-4-key-removed.png'), fullPage: true });
    assert.match((await page.textContent('main'))!, /Security key removed/);
    assert.equal(keysOf('kay'), 0);
    assert.equal(trailLines(/"eventCode":"FM5030I","eventName":"WebAuthnRemoved","user":"kay"/).length, 1);
    assert.equal(trailLines(/"eventName":"WebAuthnRemoved","user":"bob"/).length, 0);
    await logout(page);
    await page.goto(`${base}/login`);
    await page.fill('#name', 'kay');
    await page.fill('#password', PASSWORD);
    await page.click('main button');
    await page.waitForSelector('#code');
  });
});
