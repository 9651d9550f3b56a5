// Console login through the IdP: authorization code with PKCE against a certified OpenID provider (oidc-provider),
// in Debian's Chromium, through the provider's own login and consent pages; the IdP's groups give the console role,
// a user in no mapped group is refused, and a forged or replayed callback opens nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, fetchPinned, launchPinned, readTrail } from './helpers/web-console.js';
import { ssoSignIn, startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

const events = (data: string, name: string) =>
  readTrail(data)
    .split('\n')
    .filter((l) => l.includes(`"eventName":"${name}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((e) => ({ ...e, ...(e.details as object), ...(e.ctx as object) }) as Record<string, unknown>);

describe('console single sign-on (authorization code with PKCE)', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  let c: SsoConsole;
  let browser: Browser;
  let shots = '';
  const shot = (page: import('playwright-core').Page) => async (name: string) => {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  };

  before(async () => {
    c = await startSsoConsole({ alice: { groups: ['ops'] }, bob: { groups: ['sec', 'ops'] }, eve: { groups: ['dev'] } });
    shots = process.env.FUMIDAI_SCREENSHOTS ?? join(c.bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    browser = await launchPinned(c.ca);
  });
  after(async () => {
    await browser?.close();
    await c?.bastion.stop();
    await c?.idp.stop();
  });

  test('alice signs in at the IdP and lands on the sessions list as an auditor; the trail names issuer, sub and groups', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 700 } });
    const page = await context.newPage();
    await ssoSignIn(page, c.base, 'alice', shot(page));
    await page.waitForURL(`${c.base}/sessions`);
    assert.match((await page.textContent('nav'))!, /alice \(auditor\)/);
    await shot(page)('sso-4-sessions');
    const login = events(c.bastion.data, 'WebLogin').find((e) => e.user === 'alice')!;
    assert.equal(login.method, 'oidc');
    assert.equal(login.role, 'auditor');
    assert.equal(login.issuer, c.idp.issuer);
    assert.equal(login.sub, 'alice');
    assert.deepEqual(login.groups, ['ops']);
    // The session cookie is a console session; the account page is for console accounts only.
    const cookie = (await context.cookies()).find((k) => k.name === '__Host-fumidai-session')!;
    assert.equal((await fetchPinned(c.base, c.ca, '/api/sessions', { cookie: `${cookie.name}=${cookie.value}` })).status, 200);
    assert.equal((await fetchPinned(c.base, c.ca, '/account', { cookie: `${cookie.name}=${cookie.value}` })).status, 403);
    await context.close();
  });

  test('bob, in the admin group, is an admin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await ssoSignIn(page, c.base, 'bob');
    await page.waitForURL(`${c.base}/sessions`);
    assert.match((await page.textContent('nav'))!, /bob \(admin\)/);
    await context.close();
  });

  test('eve, in no mapped group, is refused with a clear page and a WebLoginFailure', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await ssoSignIn(page, c.base, 'eve');
    assert.equal(new URL(page.url()).pathname, '/login/sso/callback');
    assert.match((await page.textContent('main'))!, /'eve' is in no IdP group that may use this console/);
    await shot(page)('sso-5-refused');
    assert.equal((await context.cookies()).find((k) => k.name === '__Host-fumidai-session'), undefined);
    const failure = events(c.bastion.data, 'WebLoginFailure').find((e) => e.user === 'eve')!;
    assert.equal(failure.step, 'sso');
    assert.deepEqual(failure.groups, ['dev']);
    await page.goto(`${c.base}/sessions`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await context.close();
  });

  test('a replayed callback finds no sign-in under way; a forged state is refused by the check', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback = '';
    page.on('request', (r) => {
      if (r.url().startsWith(`${c.base}/login/sso/callback`)) callback = r.url();
    });
    await ssoSignIn(page, c.base, 'alice');
    await page.waitForURL(`${c.base}/sessions`);
    assert.match(callback, /[?&]code=.*[?&]?state=|state=.*code=/);
    // Replayed in the same browser: the state, nonce and verifier were taken by the first use.
    const replay = await page.goto(callback);
    assert.equal(replay!.status(), 400);
    assert.match((await page.textContent('main'))!, /no single sign-on under way in this browser/);
    await context.close();
    // In another browser, a sign-in under way answered with another state (the old callback): the state check refuses it.
    const other = await browser.newContext();
    const page2 = await other.newPage();
    await page2.goto(`${c.base}/login`);
    await page2.click('#sso');
    await page2.waitForSelector('input[name=password]');
    const forged = await page2.goto(callback);
    assert.equal(forged!.status(), 401);
    assert.match((await page2.textContent('main'))!, /the IdP's answer was refused \(.*state/);
    await shot(page2)('sso-6-forged');
    assert.equal((await other.cookies()).find((k) => k.name === '__Host-fumidai-session'), undefined);
    await other.close();
    assert.ok(events(c.bastion.data, 'WebLoginFailure').filter((e) => e.step === 'sso').length >= 3);
  });
});
