// The web console's live view and admin actions, in Debian's Chromium, with a real `ssh -tt` shell through fumidai to a
// real sshd: a late viewer sees the screen so far, then what is typed within a second; an admin ends the session with
// a reason the ssh client prints, within a second; auditors get no buttons and 403; websockets need the cookie and
// the console's own Origin; a lock through the API ends the user's live session; each step is in the audit trail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Bastion } from './helpers/fumidai.js';
import { stopChild } from './helpers/proc.js';
import type { Target } from './helpers/sshd.js';
import { browserLogin, CHROMIUM, consoleBase, fetchPinned, freshStep, launchPinned, readTrail, totp, type Answer } from './helpers/web-console.js';

const PASSWORD = 'correct horse battery staple';

/** An interactive `ssh -tt` shell: what it printed (stdout and stderr), and when it exited. */
class Shell {
  out = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number>;
  constructor(cfg: string) {
    this.child = spawn('ssh', ['-F', cfg, '-tt', 'web1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.out += d));
    this.child.stderr!.on('data', (d) => (this.out += d));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(Date.now())).on('error', () => resolve(Date.now())));
  }
  type(text: string): void {
    this.child.stdin!.write(text);
  }
  async waitFor(re: RegExp, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.out)) {
      if (Date.now() > end) throw new Error(`no ${re} in: ${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('web console: live view, terminate, lock', () => {
  const bastion = new Bastion();
  let target: Target;
  let cfg = '';
  let base = '';
  let ca: Buffer;
  const secrets: Record<string, string> = {};
  const cookies: Record<string, string> = {};
  const shells: Shell[] = [];

  const liveKey = async (before: string[] = []): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const lines = (await bastion.cli(['sessions', 'list', '--live', '--json'])).stdout.trim().split('\n').filter(Boolean);
      const key = lines.map((l) => (JSON.parse(l) as { auditKey: string }).auditKey).find((k) => !before.includes(k));
      if (key) return key;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no live session');
  };
  const shell = async (): Promise<{ sh: Shell; key: string }> => {
    const known = (await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { auditKey: string }).auditKey);
    const sh = new Shell(cfg);
    shells.push(sh);
    await sh.waitFor(/\$ $/m);
    return { sh, key: await liveKey(known) };
  };
  const postJson = (path: string, body: unknown, cookie: string, headers: Record<string, string> = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(`${base}${path}`, { method: 'POST', ca, headers: { cookie, 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  /** Opens a websocket to the console; resolves with its first message, or the HTTP status that refused it. */
  const openWs = (path: string, headers: Record<string, string>): Promise<{ status?: number; protocol?: string; first?: Buffer }> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${base.replace('https:', 'wss:')}${path}`, ['v1.alis'], { ca, headers });
      ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
      ws.on('message', (data) => {
        resolve({ protocol: ws.protocol, first: data });
        ws.close();
      });
      ws.on('close', (code) => resolve({ status: code }));
      ws.on('error', () => undefined);
    });

  before(async () => {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const started = await bastion.startWith('alice', 'web1');
    target = started.target;
    cfg = started.cfg;
    base = await consoleBase(bastion);
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    for (const [name, role] of [['ada', 'admin'], ['adm2', 'admin'], ['aud', 'auditor'], ['aud3', 'auditor']]) {
      secrets[name] = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['web', 'user', 'add', name, '--role', role, '--password-file', pwFile, '--totp'])).stdout)![1]!;
    }
    for (const name of ['adm2', 'aud']) cookies[name] = await httpLogin(name);
  });
  after(async () => {
    for (const s of shells) await stopChild(s.child);
    await bastion.stop();
    await target?.stop();
  });

  async function httpLogin(name: string): Promise<string> {
    const form = await fetchPinned(base, ca, '/login');
    const c0 = cookiesOf(form);
    await freshStep();
    const step1 = await fetchPinned(base, ca, '/login', { method: 'POST', cookie: c0, form: { name, password: PASSWORD, _csrf: csrfOf(form) } });
    const step2 = await fetchPinned(base, ca, '/login/totp', { method: 'POST', cookie: `${c0}; ${cookiesOf(step1)}`, form: { code: await totp(secrets[name]!), _csrf: csrfOf(step1) } });
    assert.equal(step2.status, 303, `login of ${name}`);
    return cookiesOf(step2);
  }

  test('in Chromium: a late viewer sees the screen so far, then typed output within 1 s; terminate ends the ssh client within 1 s with the reason', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium', timeout: 120_000 }, async () => {
    const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const { sh, key } = await shell();
    sh.type('echo early-$((6*7))\r');
    await sh.waitFor(/^early-42/m);
    const browser = await launchPinned(ca);
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
      page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && problems.push(`${r.status()} ${r.url()}`));
      page.on('pageerror', (e) => problems.push(e.message));
      await browserLogin(page, base, 'ada', PASSWORD, secrets.ada!);
      await page.goto(`${base}/sessions/${key}`);
      assert.ok(await page.isVisible('#watch-live'), 'a live session offers its live view');
      assert.ok(await page.isVisible(`form[action="/sessions/${key}/terminate"] input[name="reason"][required]`), 'admins get the terminate form');
      assert.ok(await page.isVisible('form[action="/users/alice/lock"]'), 'and the lock form');
      await page.screenshot({ path: join(shots, '5-session-live-admin.png'), fullPage: true });
      await page.click('#watch-live');
      await page.waitForURL(`${base}/sessions/${key}/live`);
      const screen = () => page.evaluate(() => document.querySelector('.player .ap-term-text')?.textContent ?? '');
      await page.waitForFunction(() => /early-42/.test(document.querySelector('.player .ap-term-text')?.textContent ?? ''), undefined, { timeout: 15_000 }).catch(async (err: Error) => {
        await page.screenshot({ path: join(shots, '6-live-failed.png'), fullPage: true });
        throw new Error(`${err.message}; page problems: ${problems.join(' | ')}; screen: ${await screen()}`);
      });
      // Typed now, shown within a second (measured from the keystrokes to the text in the page).
      const typedAt = Date.now();
      sh.type('echo marker-$((1000+337))\r');
      await page.waitForFunction(() => /marker-1337/.test(document.querySelector('.player .ap-term-text')?.textContent ?? ''), undefined, { timeout: 5000, polling: 10 });
      const shownMs = Date.now() - typedAt;
      console.log(`# typed output in the live view after ${shownMs} ms`);
      assert.ok(shownMs <= 1000, `shown after ${shownMs} ms`);
      await page.screenshot({ path: join(shots, '6-live.png'), fullPage: true });
      // A flood (about 2 MB): the view turns to screens twice a second, and shows the end within a second of it.
      sh.type('seq 1 300000; echo flood-$((2*21))\r');
      await sh.waitFor(/^flood-42/m, 30_000);
      const floodEnd = Date.now();
      await page.waitForFunction(() => /299999\s*300000\s*flood-42/.test(document.querySelector('.player .ap-term-text')?.textContent ?? ''), undefined, { timeout: 5000, polling: 10 });
      const floodMs = Date.now() - floodEnd;
      console.log(`# the end of a flood in the live view ${floodMs} ms after the ssh client printed it`);
      assert.ok(floodMs <= 1000, `flood end shown after ${floodMs} ms`);
      assert.deepEqual(problems, [], 'no script, CSP or websocket errors');

      await page.fill('#terminate-reason', 'security drill 7');
      const askedAt = Date.now();
      await page.click('form[action$="/terminate"] button');
      const endedMs = (await sh.exited) - askedAt;
      console.log(`# the ssh client ended ${endedMs} ms after the terminate click`);
      assert.ok(endedMs <= 1000, `ended after ${endedMs} ms`);
      assert.match(sh.out, /an administrator ended this session: security drill 7/);
      trailHas(bastion.data, new RegExp(`"eventCode":"FM5002I","eventName":"LiveViewStarted".*"user":"ada".*"details":\\{"auditKey":"${key}","channel":1\\}`));
      trailHas(bastion.data, new RegExp(`"eventCode":"FM5003I","eventName":"SessionTerminated".*"user":"ada","sourceIp":"127.0.0.1","reason":"security drill 7".*"details":\\{"auditKey":"${key}","sessionUser":"alice"\\}`));
    } finally {
      await browser.close();
    }
  });

  test('an auditor: no terminate or lock form, and 403 {error} from the API; the attempt is audited', async () => {
    const { key } = await shell();
    const pageHtml = (await fetchPinned(base, ca, `/sessions/${key}`, { cookie: cookies.aud })).body;
    assert.match(pageHtml, /Watch live/);
    assert.doesNotMatch(pageHtml, /terminate|\/lock"/);
    for (const path of [`/api/sessions/${key}/terminate`, '/api/users/alice/lock']) {
      const r = await postJson(path, { reason: 'no' }, cookies.aud!);
      assert.equal(r.status, 403, path);
      assert.deepEqual(JSON.parse(r.body), { error: 'admins only' });
    }
    assert.equal((await bastion.cli(['sessions', 'show', key, '--json'])).stdout.includes('"state":"live"'), true, 'still live');
    trailHas(bastion.data, /"eventCode":"FM5006W","eventName":"ConsoleActionDenied".*"user":"aud"/);
  });

  test('the live websocket: refused without the session cookie and from a foreign Origin; ALiS with both', async () => {
    const { key } = await shell();
    const path = `/sessions/${key}/live/1/ws`;
    assert.equal((await openWs(path, { origin: base })).status, 303, 'no cookie: sent to the login, no upgrade');
    assert.equal((await openWs(path, { origin: 'https://evil.example', cookie: cookies.aud! })).status, 403);
    assert.equal((await openWs(path, { cookie: cookies.aud! })).status, 403, 'no Origin at all');
    const ok = await openWs(path, { origin: base, cookie: cookies.aud! });
    assert.equal(ok.protocol, 'v1.alis');
    assert.equal(ok.first?.toString('latin1'), 'ALiS\x01');
  });

  test('a watching viewer is cut off when their console session ends (log out), within the check interval', { timeout: 60_000 }, async () => {
    const { key } = await shell();
    const cookie = await httpLogin('aud3');
    const ws = new WebSocket(`${base.replace('https:', 'wss:')}/sessions/${key}/live/1/ws`, ['v1.alis'], { ca, headers: { origin: base, cookie } });
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
    await new Promise<void>((resolve) => ws.on('message', () => resolve()));
    const list = await fetchPinned(base, ca, '/sessions', { cookie });
    const both = [cookie, cookiesOf(list)].filter(Boolean).join('; ');
    const out = await fetchPinned(base, ca, '/logout', { method: 'POST', cookie: both, form: { _csrf: csrfOf(list) } });
    assert.equal(out.status, 303);
    const loggedOut = Date.now();
    const end = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
    assert.ok(end, 'the stream went on after logout');
    assert.deepEqual([end.code, end.reason], [4001, 'logged out of the console']);
    assert.ok(end.at - loggedOut < 7000, `cut ${end.at - loggedOut} ms after logout`);
  });

  test('admin API: terminate with JSON ends the session; lock ends the user\'s live session, unlock lets them in again', { timeout: 60_000 }, async () => {
    const a = await shell();
    assert.equal((await postJson(`/api/sessions/${a.key}/terminate`, {}, cookies.adm2!)).status, 400, 'a reason is required');
    const cross = await fetchPinned(base, ca, `/api/sessions/${a.key}/terminate`, { method: 'POST', cookie: cookies.adm2, form: { reason: 'x' } });
    assert.equal(cross.status, 415, 'a form post (what a foreign page can send) is refused');
    const r = await postJson(`/api/sessions/${a.key}/terminate`, { reason: 'api says bye' }, cookies.adm2!);
    assert.equal(r.status, 200, r.body);
    await a.sh.exited;
    assert.match(a.sh.out, /api says bye/);
    const b = await shell();
    const lockedAt = Date.now();
    assert.equal((await postJson('/api/users/alice/lock', { reason: 'laptop stolen' }, cookies.adm2!)).status, 200);
    const endedMs = (await b.sh.exited) - lockedAt;
    console.log(`# a lock ended the live session after ${endedMs} ms`);
    assert.ok(endedMs <= 1500, `ended after ${endedMs} ms`);
    assert.match((await bastion.cli(['user', 'list'])).stdout, /alice\s+disabled/);
    assert.equal((await postJson('/api/users/alice/unlock', {}, cookies.adm2!)).status, 200);
    assert.match((await bastion.cli(['user', 'list'])).stdout, /alice\s+active/);
    trailHas(bastion.data, /"eventCode":"FM5004I","eventName":"UserLockedByConsole".*"user":"adm2".*"reason":"laptop stolen".*"details":\{"sshUser":"alice"\}/);
    trailHas(bastion.data, /"eventCode":"FM5005I","eventName":"UserUnlockedByConsole".*"user":"adm2"/);
  });
});

/** The trail line matching `re`, or a short failure naming the pattern (the whole trail is too long to print). */
function trailHas(data: string, re: RegExp): void {
  const lines = readTrail(data).split('\n');
  assert.ok(lines.some((l) => re.test(l)), `no trail line matches ${re}; events: ${lines.map((l) => /"eventName":"(\w+)"/.exec(l)?.[1]).filter(Boolean).join(' ')}`);
}

function cookiesOf(a: Answer): string {
  return ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
}
function csrfOf(a: Answer): string {
  return /name="_csrf" value="([^"]+)"/.exec(a.body)![1]!;
}
