// The request webhook with a real local HTTP receiver: a request filed over SSH is POSTed (tried again after a 503)
// with a valid X-Fumidai-Signature and signed approve/deny links; bob opens the approve link in Chromium, signs in
// through the IdP, lands on the confirm page and approves with its button; a tampered or expired link is refused with
// one line; a receiver that always fails ends in a RequestWebhookFailed event.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { signedPath } from '../src/auth/request-links.js';
import { ssh } from './helpers/fumidai.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { CHROMIUM, fetchPinned, launchPinned, readTrail } from './helpers/web-console.js';
import { JIT_POLICY, startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

type Hook = { body: string; signature: string | undefined; status: number };
const SECRET = 'hook-secret-for-tests';

const trail = (data: string, name: string) =>
  readTrail(data)
    .split('\n')
    .filter((l) => l.includes(`"eventName":"${name}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { details?: Record<string, unknown> });

async function until<T>(what: string, f: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('request webhook and signed links', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, () => {
  let c: SsoConsole;
  let db1: Target;
  let browser: Browser;
  let receiver: Server;
  const hooks: Hook[] = [];
  let keyAlice = '';
  let shots = '';

  before(async () => {
    let calls = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        // The first delivery fails once (a retry must follow); a reason with always-fail always does.
        const status = ++calls === 1 || body.includes('always-fail') ? 503 : 200;
        hooks.push({ body, signature: req.headers['x-fumidai-signature'] as string | undefined, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook/token-in-path`;
    const webhook = ['  pendingFor: 1h', '  webhook:', `    url: ${hookUrl}`, '    secretFile: hook.secret', '    retries: 2'].join('\n');
    c = await startSsoConsole({ bob: { groups: ['ops'] } }, async (b) => {
      db1 = await b.addTarget('db1');
      keyAlice = await b.addUser('alice');
      await b.addUser('bob');
      const applied = await b.applyPolicy(JIT_POLICY);
      assert.equal(applied.code, 0, applied.stderr);
      writeFileSync(join(b.data, 'hook.secret'), `${SECRET}\n`, { mode: 0o600 });
    }, { '  pendingFor: 1h': webhook });
    shots = process.env.FUMIDAI_SCREENSHOTS ?? join(c.bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    browser = await launchPinned(c.ca);
  });
  after(async () => {
    await browser?.close();
    await c?.bastion.stop();
    await db1?.stop();
    await c?.idp.stop();
    await new Promise((r) => receiver?.close(r));
  });

  test('the POST arrives signed; the approve link opens the confirm page after the IdP login and approves; tampered links are refused', { timeout: 120_000 }, async () => {
    const cfg = c.bastion.sshConfig('alice', keyAlice, { db1: LOGIN });
    const asked = await ssh(cfg, ['bastion', 'request', 'db1', '--login', LOGIN, '--for', '30m', '--reason', 'INC-7', 'disk']);
    assert.equal(asked.code, 0, asked.stderr);
    const id = Number(/^access request #(\d+)/.exec(asked.stdout)![1]);

    const ok = await until('a delivered webhook', () => hooks.find((h) => h.status === 200));
    assert.equal(hooks[0]!.status, 503, 'the first try failed, and was tried again');
    assert.equal(ok.signature, `sha256=${createHmac('sha256', SECRET).update(ok.body).digest('hex')}`);
    const sent = JSON.parse(ok.body) as Record<string, string | number>;
    assert.equal(sent.requestId, id);
    assert.equal(sent.requester, 'alice');
    assert.equal(sent.target, 'db1');
    assert.equal(sent.login, LOGIN);
    assert.equal(sent.forSec, 1800);
    assert.equal(sent.reason, 'INC-7 disk');
    const approveUrl = String(sent.approveUrl);
    assert.ok(approveUrl.startsWith(`${c.base}/requests/${id}/approve?exp=`), approveUrl);
    const delivered = await until('RequestWebhookSent', () => trail(c.bastion.data, 'RequestWebhookSent')[0]);
    assert.equal(delivered.details!.attempts, 2);
    assert.doesNotMatch(readTrail(c.bastion.data), /token-in-path/, 'only the receiver origin is recorded');

    // The link, in a browser with no session: the IdP login, then the confirm page; nothing is decided until its button.
    const context = await browser.newContext({ viewport: { width: 1100, height: 500 } });
    const page = await context.newPage();
    await page.goto(approveUrl);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.click('#sso');
    await page.waitForSelector('input[name=password]');
    await page.fill('input[name=login]', 'bob');
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    await page.waitForSelector('button[type=submit]');
    await page.click('button[type=submit]');
    await page.waitForURL(approveUrl);
    assert.match((await page.textContent('main'))!, new RegExp(`Approve access request #${id}\\?.*alice asks for ${LOGIN}@db1 for 30m.*INC-7 disk`, 's'));
    assert.equal((await c.bastion.cli(['requests', 'list'])).stdout.includes('[pending until'), true, 'opening the link decided nothing');
    await page.screenshot({ path: join(shots, 'webhook-1-confirm.png') });
    await page.click('#confirm');
    assert.match((await page.textContent('.notice'))!, new RegExp(`access request #${id} approved: alice may log in`));
    await page.screenshot({ path: join(shots, 'webhook-2-approved.png') });
    const approved = trail(c.bastion.data, 'AccessApproved').find((e) => e.user === 'bob' && e.result !== 'failure')!;
    assert.equal(approved.details!.via, 'console');

    const k = (await context.cookies()).find((x) => x.name === '__Host-fumidai-session')!;
    const open = (path: string) => fetchPinned(c.base, c.ca, path, { cookie: `${k.name}=${k.value}` });
    const path = approveUrl.slice(c.base.length);
    const refusedLine = async (p: string, why: RegExp) => {
      const a = await open(p);
      assert.equal(a.status, 403, p);
      assert.match(a.body, why);
      assert.equal(a.body.trim().split('\n').length, 1, 'one line');
    };
    await refusedLine(path.replace(`/requests/${id}/`, `/requests/${id + 1}/`), /^refused: the link is not signed by this bastion for this request and action$/m);
    await refusedLine(path.replace('/approve?', '/deny?'), /^refused: the link is not signed by this bastion for this request and action$/m);
    await refusedLine(path.replace(/exp=(\d+)/, (_m, e: string) => `exp=${Number(e) + 60}`), /not signed by this bastion/);
    const key = Buffer.from(readFileSync(join(c.bastion.data, 'request-links.key'), 'utf8').trim(), 'base64');
    await refusedLine(signedPath(key, id, 'approve', Math.floor(Date.now() / 1000) - 60), /^refused: the link expired at /m);
    const again = await open(path);
    assert.equal(again.status, 200, 'the untouched link still opens its page');
    assert.match(again.body, /Nothing to decide: approved until/);
    assert.doesNotMatch(again.body, /id="confirm"/);
    await context.close();
  });

  test('a receiver that keeps failing: tried 1 + retries times, then RequestWebhookFailed', { timeout: 60_000 }, async () => {
    const cfg = c.bastion.sshConfig('alice', keyAlice, { db1: LOGIN });
    const asked = await ssh(cfg, ['bastion', 'request', 'db1', '--for', '10m', '--reason', 'always-fail']);
    assert.equal(asked.code, 0, asked.stderr);
    const failed = await until('RequestWebhookFailed', () => trail(c.bastion.data, 'RequestWebhookFailed')[0]);
    assert.equal(failed.details!.attempts, 3);
    assert.equal(failed.details!.error, 'HTTP 503');
    assert.equal(hooks.filter((h) => h.body.includes('always-fail')).length, 3);
  });
});
