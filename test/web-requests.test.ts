// Access requests in the console, in Chromium: alice (signed in through the IdP) asks for db1 with a reason; her own
// approval is refused; bob (approvers group, signed in through the IdP) approves on the Requests page, and the stock
// ssh client then reaches db1 through fumidai; a password console account sees the list read only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ssh } from './helpers/fumidai.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { CHROMIUM, fetchPinned, launchPinned, readTrail } from './helpers/web-console.js';
import { JIT_POLICY, ssoSignIn, startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

const trail = (data: string, name: string) =>
  readTrail(data)
    .split('\n')
    .filter((l) => l.includes(`"eventName":"${name}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { details?: Record<string, unknown> });

describe('access requests in the console', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  let c: SsoConsole;
  let db1: Target;
  let browser: Browser;
  const keys: Record<string, string> = {};
  let shots = '';
  const PASSWORD = 'correct horse battery staple';
  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const cookieOf = async (context: BrowserContext) => {
    const k = (await context.cookies()).find((x) => x.name === '__Host-fumidai-session')!;
    return `${k.name}=${k.value}`;
  };
  const api = (path: string, cookie: string, json: unknown) =>
    fetchPinned(c.base, c.ca, path, { method: 'POST', cookie, headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) });

  before(async () => {
    c = await startSsoConsole({ alice: { groups: ['ops'] }, bob: { groups: ['ops'] } }, async (b) => {
      db1 = await b.addTarget('db1');
      for (const u of ['alice', 'bob']) keys[u] = await b.addUser(u);
      const applied = await b.applyPolicy(JIT_POLICY);
      assert.equal(applied.code, 0, applied.stderr);
      const pw = join(b.dir, 'password');
      writeFileSync(pw, `${PASSWORD}\n`);
      await b.cli(['web', 'user', 'add', 'ann', '--role', 'admin', '--password-file', pw]);
    });
    shots = process.env.FUMIDAI_SCREENSHOTS ?? join(c.bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    browser = await launchPinned(c.ca);
  });
  after(async () => {
    await browser?.close();
    await c?.bastion.stop();
    await db1?.stop();
    await c?.idp.stop();
  });

  test('alice asks; her own approval is refused; bob approves in the console; ssh then reaches db1', { timeout: 120_000 }, async () => {
    const cfg = c.bastion.sshConfig('alice', keys.alice!, { db1: LOGIN });
    const before = await ssh(cfg, ['db1', 'echo in'], { timeoutMs: 20_000 });
    assert.notEqual(before.code, 0);
    assert.match(before.stderr, /needs an approved access request/);

    const aliceCtx = await browser.newContext({ viewport: { width: 1300, height: 600 } });
    const alice = await aliceCtx.newPage();
    await ssoSignIn(alice, c.base, 'alice');
    await alice.waitForURL(`${c.base}/sessions`);
    await alice.click('nav a[href="/requests"]');
    await alice.fill('input[name=target]', 'db1');
    await alice.fill('input[name=login]', LOGIN);
    await alice.fill('input[name=for]', '30m');
    await alice.fill('input[name=reason]', 'INC-4242 <b>disk</b> full');
    await alice.click('text=Ask for access');
    const notice = (await alice.textContent('.notice'))!;
    const id = /access request #(\d+)/.exec(notice)?.[1];
    assert.ok(id, notice);
    assert.match((await alice.textContent(`#request-${id}`))!, /INC-4242 <b>disk<\/b> full/, 'the reason is shown as text');
    assert.equal(await alice.locator(`#request-${id} button`).count(), 0, 'no buttons on her own request');
    await shot(alice, 'requests-1-alice-asked');

    // Her own approval, by the API with her session: refused by the desk's rule, with its event.
    const self = await api(`/api/requests/${id}/approve`, await cookieOf(aliceCtx), {});
    assert.equal(self.status, 403, self.body);
    assert.match(JSON.parse(self.body).error, /nobody approves their own request/);
    const refused = trail(c.bastion.data, 'AccessApproved').find((e) => e.user === 'alice')!;
    assert.equal(refused.result, 'failure');
    assert.equal(refused.details!.via, 'console');

    const bobCtx = await browser.newContext({ viewport: { width: 1300, height: 600 } });
    const bob = await bobCtx.newPage();
    await ssoSignIn(bob, c.base, 'bob');
    await bob.waitForURL(`${c.base}/sessions`);
    await bob.goto(`${c.base}/requests`);
    assert.match((await bob.textContent(`#request-${id}`))!, /alice.*INC-4242/s);
    await shot(bob, 'requests-2-bob-sees');
    await bob.click(`#request-${id} button.approve`);
    assert.match((await bob.textContent('.notice'))!, new RegExp(`access request #${id} approved: alice may log in to ${LOGIN}@db1 until`));
    await shot(bob, 'requests-3-bob-approved');
    const approved = trail(c.bastion.data, 'AccessApproved').find((e) => e.user === 'bob')!;
    assert.equal(approved.details!.via, 'console');
    assert.equal(approved.reason, 'INC-4242 <b>disk</b> full');

    const after = await ssh(cfg, ['db1', 'echo in'], { timeoutMs: 20_000 });
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout, 'in\n');
    await aliceCtx.close();
    await bobCtx.close();
  });

  test('a password console account reads the list and may not decide', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${c.base}/login`);
    await page.fill('#name', 'ann');
    await page.fill('#password', PASSWORD);
    await page.click('form[action="/login"] button');
    await page.waitForURL(`${c.base}/sessions`);
    await page.goto(`${c.base}/requests`);
    assert.match((await page.textContent('main'))!, /Read only: only a console session signed in through single sign-on acts as an SSH user/);
    assert.equal(await page.locator('main form').count(), 0);
    const list = await fetchPinned(c.base, c.ca, '/api/requests', { cookie: await cookieOf(ctx) });
    assert.equal(JSON.parse(list.body).requests[0].reason, 'INC-4242 <b>disk</b> full');
    const deny = await api('/api/requests/1/deny', await cookieOf(ctx), { reason: 'no' });
    assert.equal(deny.status, 403);
    const noToken = await fetchPinned(c.base, c.ca, '/requests/1/deny', { method: 'POST', cookie: await cookieOf(ctx), form: { reason: 'no' } });
    assert.equal(noToken.status, 403);
    assert.match(noToken.body, /CSRF/);
    await ctx.close();
  });
});
