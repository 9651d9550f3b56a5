// Search, the audit trail, the report and the evidence download in the web console, on a real bastion and a real
// sshd: a pty shell session through the bastion types a word no other test uses; it is found as typed and as shown on
// screen, the hit opens the session page with the player at that moment (Chromium); the events API filters; the
// evidence download verifies with `fumidai evidence verify` and is byte for byte what `fumidai evidence export`
// writes; each view is an audit event; nothing without a console session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { browserLogin, CHROMIUM, consoleBase, fetchPinned, freshStep, launchPinned, readTrail, totp, type Answer } from './helpers/web-console.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');
const PASSWORD = 'correct horse battery staple';
const WORD = `quokkaword${process.pid}`;

type Hit = { auditKey: string; channel: number; offset: number; source: string; snippet: string; url: string; session: { user: string; target: string } };
type Event = { eventName: string; eventCode: string; user?: string; sessionId?: string; details?: Record<string, unknown>; eventTime: string };

describe('web console: search, audit trail, report, evidence', () => {
  const bastion = new Bastion();
  let target: Target;
  let base = '';
  let ca: Buffer;
  const secrets: Record<string, string> = {};
  let auditKey = '';
  let cookie = '';
  const get = (path: string, c = cookie): Promise<Answer> => fetchPinned(base, ca, path, { cookie: c });
  const json = async <T>(path: string): Promise<T> => {
    const a = await get(path);
    assert.equal(a.status, 200, `${path}: ${a.body}`);
    return JSON.parse(a.body) as T;
  };
  const trailEvents = (name: string): Event[] => readTrail(bastion.data).split('\n').filter((l) => l.includes(`"eventName":"${name}"`)).map((l) => JSON.parse(l) as Event);

  before(async () => {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const { target: t, cfg } = await bastion.startWith('alice', 'web1');
    target = t;
    // A pause before the word, and one after: its moment is neither the start nor the end of the recording.
    const after = (line: string) => ({ expect: `${line}\r\n[^\n]*\\$ ` }); // the prompt after that line's output
    const script = JSON.stringify([{ expect: '\\$ ' }, { type: 'sleep 3\r' }, after('sleep 3'), { type: `echo ${WORD}\r` }, after(`[^ ]${WORD}`), { type: 'sleep 2\r' }, after('sleep 2'), { send: 'exit\r' }]);
    try {
      execFileSync('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1']);
    } catch (err) {
      throw new Error(`the pty session: ${String((err as { stdout?: Buffer }).stdout)}`);
    }
    auditKey = (JSON.parse((await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').at(-1)!) as { auditKey: string }).auditKey;
    base = await consoleBase(bastion);
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    for (const name of ['ann', 'cid']) {
      secrets[name] = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['web', 'user', 'add', name, '--role', 'auditor', '--password-file', pwFile, '--totp'])).stdout)![1]!;
    }
    const form = await get('/login', '');
    const c0 = cookiesOf(form);
    await freshStep();
    const step1 = await fetchPinned(base, ca, '/login', { method: 'POST', cookie: c0, form: { name: 'ann', password: PASSWORD, _csrf: csrfOf(form) } });
    const step2 = await fetchPinned(base, ca, '/login/totp', { method: 'POST', cookie: `${c0}; ${cookiesOf(step1)}`, form: { code: await totp(secrets.ann!), _csrf: csrfOf(step1) } });
    assert.equal(step2.status, 303);
    cookie = cookiesOf(step2);
    // The screen text and typed lines are indexed off the relay's path, after the recording is sealed.
    for (let i = 0; i < 100 && !(await get(`/api/search?q=${WORD}`)).body.includes('"typed"'); i++) await new Promise((r) => setTimeout(r, 200));
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  test('GET /api/search: the word as typed and as shown, with the session, its offset and a link to that moment; a SearchRun event', async () => {
    const r = await json<{ query: string; hits: Hit[]; more: boolean }>(`/api/search?q=${encodeURIComponent(`  ${WORD} `)}`);
    assert.equal(r.query, WORD);
    assert.equal(r.more, false);
    const typed = r.hits.find((h) => h.source === 'typed');
    const screen = r.hits.find((h) => h.source === 'screen');
    assert.ok(typed && screen, JSON.stringify(r.hits));
    assert.equal(typed.auditKey, auditKey);
    assert.equal(typed.snippet, `echo [${WORD}]`);
    assert.deepEqual([typed.session.user, typed.session.target], ['alice', 'web1']);
    assert.ok(typed.offset > 3 && typed.offset < 8, `the Enter after 'sleep 3': ${typed.offset}`);
    assert.equal(typed.url, `/sessions/${auditKey}?t=${typed.offset.toFixed(3)}&channel=${typed.channel}`);
    assert.match(screen.snippet, new RegExp(`\\[${WORD}\\]`));
    const run = trailEvents('SearchRun').find((e) => e.details?.query === WORD && e.details.view === 'api');
    assert.ok(run, 'SearchRun in the trail');
    assert.deepEqual([run.eventCode, run.user, run.details!.hits], ['FM5010I', 'ann', r.hits.length]);
    assert.equal(run.sessionId, undefined, "a view is not part of the session's own evidence");
  });

  test('search refusals: no query, too long, no word; and nothing matches a word no one typed', async () => {
    for (const q of ['', 'x'.repeat(201), '%20--%20*']) {
      const a = await get(`/api/search?q=${q}`);
      assert.equal(a.status, 400, q);
      assert.match(JSON.parse(a.body).error, /./);
    }
    assert.deepEqual((await json<{ hits: Hit[] }>(`/api/search?q=neverseen${process.pid}`)).hits, []);
    const page = await get(`/search?q=${encodeURIComponent(`<script>${WORD}`)}`);
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /<script>quokka/, 'the query is escaped');
  });

  test('GET /api/events: filters by type, user, audit key, time and severity, newest first, paged by cursor; bad filters are 400; AuditViewed', async () => {
    const starts = await json<{ events: Event[] }>(`/api/events?type=SessionStart&auditKey=${auditKey}`);
    assert.deepEqual(starts.events.map((e) => [e.eventName, e.sessionId]), [['SessionStart', auditKey]]);
    const mine = await json<{ events: Event[] }>('/api/events?user=ann&limit=500');
    assert.ok(mine.events.length > 0 && mine.events.every((e) => e.user === 'ann'));
    assert.ok(mine.events.some((e) => e.eventName === 'WebLogin'));
    const times = mine.events.map((e) => e.eventTime);
    assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
    const warnings = await json<{ events: Event[] }>('/api/events?severity=warning');
    assert.ok(warnings.events.every((e) => e.eventCode.endsWith('W')));
    assert.deepEqual((await json<{ events: Event[] }>('/api/events?until=2001-01-01')).events, []);
    const p1 = await json<{ events: Event[]; next?: string }>('/api/events?limit=2');
    assert.equal(p1.events.length, 2);
    assert.ok(p1.next);
    const p2 = await json<{ events: Event[] }>(`/api/events?limit=2&before=${encodeURIComponent(p1.next)}`);
    assert.ok(p2.events[0]!.eventTime <= p1.events[1]!.eventTime);
    assert.ok(!p2.events.some((e) => p1.events.some((x) => JSON.stringify(x) === JSON.stringify(e))), 'the next page continues');
    const views = trailEvents('AuditViewed').length;
    for (const bad of ['type=Nope', 'auditKey=..%2Fx', 'since=yesterday', 'severity=loud', 'limit=100000']) assert.equal((await get(`/api/events?${bad}`)).status, 400, bad);
    assert.equal(trailEvents('AuditViewed').length, views, 'a refused filter showed nothing: no view');
    const viewed = trailEvents('AuditViewed').find((e) => e.details?.view === 'api' && (e.details.filters as Record<string, string>).auditKey === auditKey);
    assert.ok(viewed, 'AuditViewed in the trail');
    assert.deepEqual([viewed.eventCode, viewed.user, (viewed.details!.filters as Record<string, string>).type, viewed.details!.events], ['FM5011I', 'ann', 'SessionStart', 1]);
  });

  test("GET /api/sessions/:key/events: the session's own events; on its page too, with the evidence link", async () => {
    const r = await json<{ events: Event[]; more: boolean }>(`/api/sessions/${auditKey}/events`);
    const names = r.events.map((e) => e.eventName);
    for (const n of ['SessionStart', 'RecordingSealed', 'SessionEnd']) assert.ok(names.includes(n), names.join());
    assert.ok(r.events.every((e) => e.sessionId === auditKey));
    assert.equal((await get('/api/sessions/20990101T000000Z-nobody-00/events')).status, 404);
    const page = await get(`/sessions/${auditKey}`);
    assert.match(page.body, /<h2>Events<\/h2>[\s\S]*SessionStart/);
    assert.match(page.body, new RegExp(`href="/sessions/${auditKey}/evidence"`));
  });

  test('evidence download: an attachment that `fumidai evidence verify` accepts, byte for byte the CLI export; EvidenceExported with its sha256', async () => {
    const a = await get(`/sessions/${auditKey}/evidence`);
    assert.equal(a.status, 200, a.body);
    assert.match(String(a.headers['content-disposition']), new RegExp(`^attachment; filename="evidence-${auditKey}\\.html"$`));
    const file = join(bastion.dir, 'web-evidence.html');
    writeFileSync(file, a.body);
    const v = await bastion.cli(['evidence', 'verify', file]);
    assert.match(v.stdout, new RegExp(`valid: \\d+ events of ${auditKey} and 1 recordings`));
    const cliFile = join(bastion.dir, 'cli-evidence.html');
    await bastion.cli(['evidence', 'export', auditKey, '-o', cliFile]);
    assert.ok(readFileSync(cliFile).equals(Buffer.from(a.body)), 'the same page as the CLI writes');
    const sha256 = createHash('sha256').update(a.body).digest('hex');
    const ev = trailEvents('EvidenceExported').at(-1);
    assert.deepEqual([ev?.eventCode, ev?.user, ev?.details], ['FM5013I', 'ann', { auditKey, sha256, bytes: Buffer.byteLength(a.body) }]);
    assert.equal((await get('/sessions/20990101T000000Z-nobody-00/evidence')).status, 404);
    assert.equal((await get('/sessions/..%2F..%2Ffumidai.yaml/evidence')).status, 404);
  });

  test('the report: the same sections as `fumidai report`, downloads identical to its output; ReportViewed', async () => {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const page = await get(`/report?since=${since}&until=${until}`);
    assert.equal(page.status, 200, page.body);
    assert.match(page.body, /Audit trail verification: PASSED/);
    assert.match(page.body, /<h2>Access per user<\/h2>[\s\S]*alice/);
    // The CLI first: the download's own ReportViewed comes after what it shows. Checkpoints may be signed in between,
    // so the verification lines are compared without their counts.
    const counts = (text: string) => text.replace(/\d+ events in \d+ segments, \d+ signed checkpoints/g, 'N events');
    for (const format of ['md', 'html']) {
      const cli = await bastion.cli(['report', '--since', since, '--until', until, '--format', format]);
      const d = await get(`/report/download?since=${since}&until=${until}&format=${format}`);
      assert.equal(d.status, 200);
      assert.match(String(d.headers['content-disposition']), /^attachment; filename="fumidai-report-/);
      assert.equal(counts(d.body), counts(cli.stdout), `${format}: as the CLI prints it`);
    }
    assert.equal((await get('/report?since=soon')).status, 400);
    const formats = trailEvents('ReportViewed').filter((e) => e.user === 'ann').map((e) => [e.eventCode, e.details!.format]);
    assert.deepEqual(formats, [['FM5012I', 'page'], ['FM5012I', 'md'], ['FM5012I', 'html']]);
  });

  test('without a console session: pages go to /login, the API answers 401, and nothing is shown', async () => {
    for (const path of ['/search?q=x', '/audit', '/report', `/sessions/${auditKey}/evidence`]) {
      const a = await get(path, '');
      assert.equal(a.status, 303, path);
      assert.equal(a.headers.location, '/login');
    }
    for (const path of [`/api/search?q=${WORD}`, '/api/events', `/api/sessions/${auditKey}/events`, '/api/audit/status']) {
      const a = await get(path, '');
      assert.equal(a.status, 401, path);
      assert.doesNotMatch(a.body, /quokka|alice/);
    }
    assert.equal((await fetchPinned(base, ca, '/audit/verify', { method: 'POST', cookie })).status, 403, 'a state change needs the CSRF token');
  });

  test('in Chromium: search the word, its hit opens the player at that moment; the audit trail verified now; the report', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
    const shots = process.env.FUMIDAI_SCREENSHOTS ?? join(bastion.dir, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const browser = await launchPinned(ca);
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
      const problems: string[] = [];
      page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(e.message));
      await browserLogin(page, base, 'cid', PASSWORD, secrets.cid!);
      await page.click('nav a[href="/search"]');
      await page.fill('input[name=q]', WORD);
      await page.click('main button');
      await page.waitForSelector('mark');
      assert.equal(await page.textContent('tr:has(td:text-is("typed")) mark'), WORD);
      await page.screenshot({ path: join(shots, '5-search.png'), fullPage: true });
      const href = (await page.getAttribute('tr:has(td:text-is("typed")) a.hit-link', 'href'))!;
      const t = Number(/[?&]t=([\d.]+)/.exec(href)![1]);
      await page.click('tr:has(td:text-is("typed")) a.hit-link');
      await page.waitForURL(`${base}${href}`);
      // The player's own clock, and its screen at that moment: the word typed, the pause after it not yet over.
      await page.waitForFunction((w) => (document.querySelector('.player .ap-term-text')?.textContent ?? '').includes(`echo ${w}`), WORD, { timeout: 15_000 }).catch(async (err: Error) => {
        await page.screenshot({ path: join(shots, '6-hit-in-player-failed.png'), fullPage: true });
        throw new Error(`${err.message}; page problems: ${problems.join(' | ')}; player: ${await page.textContent('.player')}`);
      });
      const now = await page.evaluate(async () => (document.querySelector('.player') as HTMLElement & { fumidaiPlayer: { getCurrentTime(): Promise<number> } }).fumidaiPlayer.getCurrentTime());
      assert.ok(Math.abs(now - t) < 0.5, `the player at ${now}s, the hit at ${t}s`);
      assert.doesNotMatch((await page.textContent('.player .ap-term-text'))!, /\$ exit/, 'not the end of the recording');
      await page.screenshot({ path: join(shots, '6-hit-in-player.png'), fullPage: true });
      // Played from there, not from the start: a second later the clock is a second past the hit.
      type Player = HTMLElement & { fumidaiPlayer: { getCurrentTime(): Promise<number>; play(): Promise<void> } };
      await page.evaluate(async () => (document.querySelector('.player') as Player).fumidaiPlayer.play());
      await new Promise((r) => setTimeout(r, 1000));
      const playing = await page.evaluate(async () => (document.querySelector('.player') as Player).fumidaiPlayer.getCurrentTime());
      assert.ok(playing > t + 0.3 && playing < t + 2.5, `playing at ${playing}s, from ${t}s`);
      assert.ok(trailEvents('SearchRun').some((e) => e.user === 'cid' && e.details?.view === 'page' && e.details.query === WORD));

      await page.click('nav a[href="/audit"]');
      await page.waitForSelector('table.events');
      // Kept from the last verification (the report's, in an earlier test): a page view does not read the whole trail.
      const shown = (await page.textContent('.verdict'))!;
      assert.match(shown, /Chain verification: PASSED at |Not verified since the console started/);
      await page.click('#verify-now');
      await page.waitForFunction((before) => document.querySelector('.verdict.intact')?.textContent !== before, shown);
      assert.match((await page.textContent('.verdict'))!, /Chain verification: PASSED/);
      assert.match((await page.textContent('table.events'))!, /SearchRun/);
      await page.screenshot({ path: join(shots, '7-audit.png'), fullPage: true });
      assert.ok(trailEvents('AuditViewed').some((e) => e.user === 'cid' && e.details?.view === 'verify'));

      await page.goto(`${base}/report`);
      await page.waitForSelector('h2');
      assert.match((await page.textContent('main'))!, /Access per user[\s\S]*alice/);
      await page.screenshot({ path: join(shots, '8-report.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no script or CSP errors');
    } finally {
      await browser.close();
    }
  });
});

function cookiesOf(a: Answer): string {
  return ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
}
function csrfOf(a: Answer): string {
  return /name="_csrf" value="([^"]+)"/.exec(a.body)![1]!;
}
