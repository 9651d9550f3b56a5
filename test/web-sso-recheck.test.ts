// Deprovisioning of console single sign-on sessions against a real OpenID provider (oidc-provider): with
// auth.oidc.recheckInterval at 1 s, a user disabled at the IdP or taken out of the console's groups is signed out at
// the next request, with a one-line reason on the login page and a ConsoleSsoEnded event; a group change moves the role.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { stopChild } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { CHROMIUM, fetchPinned, launchPinned, readTrail } from './helpers/web-console.js';
import { ssoSignIn, startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

const events = (data: string, name: string) =>
  readTrail(data)
    .split('\n')
    .filter((l) => l.includes(`"eventName":"${name}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((e) => ({ ...e, ...(e.details as object), ...(e.ctx as object) }) as Record<string, unknown>);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('console single sign-on: re-checked at the IdP', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  let c: SsoConsole;
  let browser: Browser;
  let web1: Target | undefined;
  let daveKey = '';

  before(async () => {
    const setup = async (b: SsoConsole['bastion']) => {
      web1 = await b.addTarget('web1');
      daveKey = await b.addUser('dave');
      await b.cli(['grant', 'dave', 'web1']);
    };
    c = await startSsoConsole({ alice: { groups: ['ops'] }, bob: { groups: ['sec'] }, carol: { groups: ['ops'] }, erin: { groups: ['ops'] } }, setup, {
      '    allowInsecureLoopback: true': '    allowInsecureLoopback: true\n    recheckInterval: 1',
    });
    browser = await launchPinned(c.ca);
  });
  after(async () => {
    await browser?.close();
    await c?.bastion.stop();
    await c?.idp.stop();
    await web1?.stop();
  });

  /** Signs `login` in through the browser; the session cookie header. */
  const signIn = async (login: string): Promise<string> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await ssoSignIn(page, c.base, login);
    await page.waitForURL(`${c.base}/sessions`);
    const k = (await context.cookies()).find((x) => x.name === '__Host-fumidai-session')!;
    await context.close();
    return `${k.name}=${k.value}`;
  };

  test('alice disabled at the IdP: signed out within the interval, with the reason on the login page and an event', async () => {
    const cookie = await signIn('alice');
    assert.equal((await fetchPinned(c.base, c.ca, '/sessions', { cookie })).status, 200);
    c.idp.accounts.alice!.disabled = true;
    await sleep(1300);
    const r = await fetchPinned(c.base, c.ca, '/sessions', { cookie });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/login');
    const login = await fetchPinned(c.base, c.ca, '/login', { cookie });
    assert.match(login.body, /Signed out: single sign-on: the IdP no longer accepts this login \(invalid_token\)\./);
    assert.equal((await fetchPinned(c.base, c.ca, '/api/sessions', { cookie })).status, 401, 'the session is gone for good');
    const ended = events(c.bastion.data, 'ConsoleSsoEnded').find((e) => e.user === 'alice')!;
    assert.equal(ended.sub, 'alice');
    assert.equal(ended.eventCode, 'FM6041W');
    assert.match(String(ended.reason), /no longer accepts this login/);
    assert.doesNotMatch(readTrail(c.bastion.data), new RegExp(c.idp.clientSecret));
  });

  test('carol taken out of the console groups: signed out; bob moved from sec to ops: admin becomes auditor', async () => {
    const carol = await signIn('carol');
    const bob = await signIn('bob');
    const first = await fetchPinned(c.base, c.ca, '/sessions', { cookie: bob });
    assert.match(first.body, /bob \(admin\)/);
    // An SSO session has no console account: no Account link in the bar (the page answers 403).
    assert.doesNotMatch(first.body, /href="\/account"/);
    assert.doesNotMatch((await fetchPinned(c.base, c.ca, '/audit', { cookie: bob })).body, /href="\/account"/);
    c.idp.accounts.carol!.groups = ['dev'];
    c.idp.accounts.bob!.groups = ['ops'];
    await sleep(1300);
    assert.equal((await fetchPinned(c.base, c.ca, '/sessions', { cookie: carol })).status, 303);
    assert.match((await fetchPinned(c.base, c.ca, '/login', { cookie: carol })).body, /Signed out: single sign-on: &#39;carol&#39; is in no IdP group that may use this console/);
    const page = await fetchPinned(c.base, c.ca, '/sessions', { cookie: bob });
    assert.equal(page.status, 200);
    assert.match(page.body, /bob \(auditor\)/);
    const changed = events(c.bastion.data, 'ConsoleSsoRoleChanged').find((e) => e.user === 'bob')!;
    assert.equal(changed.from, 'admin');
    assert.equal(changed.to, 'auditor');
  });

  test('erin watching a live session is cut off once she is disabled at the IdP', { timeout: 60_000 }, async () => {
    const cookie = await signIn('erin');
    const ssh = spawn('ssh', ['-F', c.bastion.sshConfig('dave', daveKey, { web1: LOGIN }), '-tt', 'web1', 'sleep 40'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let key = '';
      for (let i = 0; i < 150 && !key; i++) {
        const line = (await c.bastion.cli(['sessions', 'list', '--live', '--json'])).stdout.trim().split('\n').find(Boolean);
        key = line ? (JSON.parse(line) as { auditKey: string }).auditKey : '';
        if (!key) await sleep(100);
      }
      const ws = new WebSocket(`${c.base.replace('https:', 'wss:')}/sessions/${key}/live/1/ws`, ['v1.alis'], { ca: c.ca, headers: { origin: c.base, cookie } });
      const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
      ws.on('error', () => undefined);
      const first = await Promise.race([new Promise<string>((resolve) => ws.on('message', () => resolve('message'))), closed.then((e) => `closed ${e.code} ${e.reason}`)]);
      assert.equal(first, 'message');
      c.idp.accounts.erin!.disabled = true;
      const t0 = Date.now();
      const end = await Promise.race([closed, sleep(15_000).then(() => undefined)]);
      assert.ok(end, 'the stream went on after the IdP disabled erin');
      assert.equal(end.code, 4001);
      assert.ok(end.at - t0 < 8000, `cut ${end.at - t0} ms after`);
      assert.ok(events(c.bastion.data, 'ConsoleSsoEnded').some((e) => e.user === 'erin'));
    } finally {
      await stopChild(ssh);
    }
  });
});
