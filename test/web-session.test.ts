// A session's own page in the web console, in Debian's Chromium: a pty shell session made through ssh, opened from the
// sessions list, shows its commands typed and replays in asciinema-player (served by the console itself, under a CSP
// that lets only this page compile WebAssembly); its JSON API; each view an audit event; unknown keys and path
// traversal get 404 and read nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { browserLogin, CHROMIUM, consoleBase, fetchPinned, freshStep, launchPinned, readTrail, totp, type Answer } from './helpers/web-console.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');
const PASSWORD = 'correct horse battery staple';

describe('web console: a session page', () => {
  const bastion = new Bastion();
  let target: Target;
  let base = '';
  let ca: Buffer;
  const secrets: Record<string, string> = {};
  let auditKey = '';
  let sftpKey = '';
  let uploadSha = '';
  let cookie = '';
  const get = (path: string, c = cookie): Promise<Answer> => fetchPinned(base, ca, path, { cookie: c });

  before(async () => {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const { target: t, cfg } = await bastion.startWith('alice', 'web1');
    target = t;
    const script = JSON.stringify([{ expect: '\\$ ' }, { type: 'echo replay-$((6*7))\r' }, { expect: 'replay-42' }, { send: 'exit\r' }]);
    execFileSync('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1']);
    const latest = async () => (JSON.parse((await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').at(-1)!) as { auditKey: string }).auditKey;
    auditKey = await latest();
    const upload = join(bastion.dir, 'upload.bin');
    const bytes = randomBytes(50_000);
    writeFileSync(upload, bytes);
    uploadSha = createHash('sha256').update(bytes).digest('hex');
    execFileSync('sftp', ['-F', cfg, '-b', '-', 'web1'], { input: `put ${upload} web-upload.bin\n` });
    sftpKey = await latest();
    base = await consoleBase(bastion);
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    // Two accounts: a code is taken once, and the browser logs in within the same 30 s step.
    for (const name of ['ann', 'cid']) {
      secrets[name] = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['web', 'user', 'add', name, '--role', 'auditor', '--password-file', pwFile, '--totp'])).stdout)![1]!;
    }
    // A session cookie for the HTTP-level tests, by the same two steps a browser takes.
    const form = await get('/login', '');
    const c0 = cookiesOf(form);
    await freshStep();
    const step1 = await fetchPinned(base, ca, '/login', { method: 'POST', cookie: c0, form: { name: 'ann', password: PASSWORD, _csrf: csrfOf(form) } });
    const step2 = await fetchPinned(base, ca, '/login/totp', { method: 'POST', cookie: `${c0}; ${cookiesOf(step1)}`, form: { code: await totp(secrets.ann!), _csrf: csrfOf(step1) } });
    assert.equal(step2.status, 303);
    cookie = cookiesOf(step2);
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  test('GET /api/sessions/:auditKey: the session, channels with sha256, commands typed; 401 without the cookie; a RecordingViewed event', async () => {
    const api = await get(`/api/sessions/${auditKey}`);
    assert.equal(api.status, 200, api.body);
    const d = JSON.parse(api.body) as { session: { user: string; target: string }; channels: { kind: string; sha256?: string; state: string }[]; typed: { lines: string[] }[] };
    assert.equal(d.session.user, 'alice');
    assert.equal(d.session.target, 'web1');
    assert.ok(d.channels.some((c) => c.state === 'sealed' && /^[0-9a-f]{64}$/.test(c.sha256 ?? '')), api.body);
    assert.ok(d.typed.some((t) => t.lines.includes('echo replay-$((6*7))')), api.body);
    const anon = await get(`/api/sessions/${auditKey}`, '');
    assert.equal(anon.status, 401);
    assert.doesNotMatch(anon.body, /alice|replay/);
    assert.match(readTrail(bastion.data), new RegExp(`"eventName":"RecordingViewed".*"user":"ann".*"details":\\{"auditKey":"${auditKey}","view":"api"`));
  });

  test('an sftp session: its page lists the upload with its sha256, no player and no WebAssembly in its CSP', async () => {
    const a = await get(`/sessions/${sftpKey}`);
    assert.equal(a.status, 200);
    assert.match(a.body, /<h2>File operations<\/h2>/);
    assert.match(a.body, new RegExp(`web-upload\\.bin</td>\\s*<td>50000</td><td class="hash">${uploadSha}</td>`));
    assert.doesNotMatch(a.body, /data-cast|asciinema-player/);
    assert.doesNotMatch(String(a.headers['content-security-policy']), /wasm/);
    const d = JSON.parse((await get(`/api/sessions/${sftpKey}`)).body) as { fileOps: { path: string; sha256?: string }[] };
    assert.ok(d.fileOps.some((o) => o.path.endsWith('web-upload.bin') && o.sha256 === uploadSha), JSON.stringify(d.fileOps));
  });

  test('unknown or malformed audit keys and channels: 404, no event, nothing read', async () => {
    const before = (readTrail(bastion.data).match(/RecordingViewed/g) ?? []).length;
    const unknown = auditKey.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    assert.equal((await get(`/sessions/${unknown}`)).status, 404);
    assert.equal((await get(`/api/sessions/${unknown}`)).status, 404);
    assert.deepEqual(JSON.parse((await get(`/api/sessions/${unknown}`)).body), { error: 'no such session' });
    for (const path of [
      `/sessions/..%2F..%2F..%2Fetc%2Fpasswd`,
      `/api/sessions/..%2Ffumidai.yaml`,
      `/sessions/${auditKey}/recordings/..%2F..%2Ffumidai.yaml`,
      `/sessions/..%2F${auditKey}/recordings/0`,
      `/sessions/${auditKey}/recordings/0%2F..%2F..`,
      `/sessions/${auditKey}/recordings/99`,
      `/sessions/${unknown}/recordings/0`,
    ]) {
      const a = await get(path);
      assert.ok(a.status === 404 || a.status === 400, `${path}: ${a.status}`);
      assert.doesNotMatch(a.body, /root:|listen|"i",/, path);
    }
    assert.equal((readTrail(bastion.data).match(/RecordingViewed/g) ?? []).length, before, 'no view recorded for what was not shown');
  });

  test('the recording: streamed as text with the cookie, 303 to /login without it', async () => {
    const d = JSON.parse((await get(`/api/sessions/${auditKey}`)).body) as { channels: { channel: number; recordingPath: string }[] };
    const ch = d.channels.find((c) => c.recordingPath.endsWith('.cast'))!;
    const rec = await get(`/sessions/${auditKey}/recordings/${ch.channel}`);
    assert.equal(rec.status, 200);
    assert.match(String(rec.headers['content-type']), /^text\/plain/);
    assert.equal(rec.body, readFileSync(ch.recordingPath, 'utf8'));
    assert.equal((await get(`/sessions/${auditKey}/recordings/${ch.channel}`, '')).status, 303);
    assert.match(readTrail(bastion.data), new RegExp(`"details":\\{"auditKey":"${auditKey}","view":"recording","channel":${ch.channel}\\}`));
  });

  test('in Chromium: from the list to the session page; commands typed, the player shows the terminal', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
    const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const browser = await launchPinned(ca);
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
      page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
      page.on('pageerror', (e) => problems.push(e.message));
      await browserLogin(page, base, 'cid', PASSWORD, secrets.cid!);
      await page.click(`a[href="/sessions/${auditKey}"]`);
      await page.waitForURL(`${base}/sessions/${auditKey}`);
      const main = (await page.textContent('main'))!;
      assert.match(main, /alice/);
      assert.match(main, /web1/);
      assert.match(await page.textContent('pre.typed') ?? '', /echo replay-\$\(\(6\*7\)\)/);
      // The poster: the last screen of the recording, before play.
      await page.waitForFunction(() => /replay-42/.test(document.querySelector('.player .ap-term-text')?.textContent ?? ''), undefined, { timeout: 15_000 }).catch(async (err: Error) => {
        await page.screenshot({ path: join(shots, '4-session-failed.png'), fullPage: true });
        throw new Error(`${err.message}; page problems: ${problems.join(' | ')}; player: ${await page.innerHTML('.player')}`);
      });
      await page.screenshot({ path: join(shots, '4-session.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no script or CSP errors');
      assert.match(readTrail(bastion.data), new RegExp(`"user":"cid".*"details":\\{"auditKey":"${auditKey}","view":"page"\\}`));
    } finally {
      await browser.close();
    }
  });

  test('the CSP: only the session page with a recording may compile WebAssembly; no inline script anywhere', async () => {
    const csp = String((await get(`/sessions/${auditKey}`)).headers['content-security-policy']);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline|'unsafe-eval'/);
    assert.doesNotMatch(String((await get('/sessions')).headers['content-security-policy']), /wasm/);
  });
});

function cookiesOf(a: Answer): string {
  return ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
}
function csrfOf(a: Answer): string {
  return /name="_csrf" value="([^"]+)"/.exec(a.body)![1]!;
}
