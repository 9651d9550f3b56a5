// The web console's sessions list with 10,000 sessions: a store seeded with sessions and their channels (SQLite, and
// a private PostgreSQL unless BENCH_PG=0), the console started in this process on 127.0.0.1, and GET /api/sessions and
// /sessions timed with and without filters: the request round trip on loopback over a kept-alive HTTPS connection,
// which is the server's time plus well under a millisecond. For reference, the list as it was read before (every
// session, then each one's channels: N+1 selects), timed against the same store without HTTP.
// Sizes: BENCH_SESSIONS (10000), BENCH_REPS (20). Prints a Markdown table for BENCHMARKS.md.
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sessionSummary } from '../src/playback/session-summary.js';
import { PgStore } from '../src/store/pg-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { ensureSelfSigned } from '../src/web/cert.js';
import type { WebLogin } from '../src/web/login.js';
import { startWeb } from '../src/web/server.js';
import { startPostgres, type Postgres } from '../test/helpers/postgres.js';
import { seededSessions, seedPg, seedSqlite } from '../test/helpers/seed-sessions.js';
import { stats } from './lib/measure.js';

const N = Number(process.env.BENCH_SESSIONS ?? 10_000);
const REPS = Number(process.env.BENCH_REPS ?? 20);
const PATHS = [
  '/api/sessions',
  '/api/sessions?limit=1000',
  '/api/sessions?user=user4&kind=exec',
  '/api/sessions?state=closed&from=2026-01-02T00:00&to=2026-01-03T00:00',
  '/api/sessions?source=10.0.4.7&limit=1000',
  '/sessions',
  '/sessions?limit=1000',
  '/sessions?target=target2&login=deploy&kind=tunnel',
];

type Get = (path: string) => Promise<{ status: number; body: string; headers: Record<string, unknown> }>;

async function consoleFor(store: Store, dir: string): Promise<{ get: Get; close: () => Promise<void> }> {
  const certFile = join(dir, 'web.crt');
  const keyFile = join(dir, 'web.key');
  ensureSelfSigned(certFile, keyFile);
  const cert = readFileSync(certFile);
  // The list is what is measured: a login that lets the bench in, an audit trail that keeps nothing, no data directory.
  const login = { password: async (name: string) => ({ ok: true, name, role: 'auditor', needsCode: false }) } as unknown as WebLogin;
  const account = { name: 'bench', role: 'auditor' as const, passwordHash: '', lastStep: 0, createdAt: '' };
  const web = await startWeb({ cert, key: readFileSync(keyFile), login, index: store, audit: { record: async () => undefined } as never, accounts: { getWebAccount: async () => account }, identity: store, rpId: () => undefined, idleMinutes: () => 60, spool: store,
    dir: undefined as never /* the audit pages are not measured here */ }, '127.0.0.1:0');
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: cert });
  let cookie = '';
  const get: Get = (path, opts: { method?: string; form?: Record<string, string> } = {}) =>
    new Promise((resolve, reject) => {
      const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
      const req = request(`https://${web.address}${path}`, { agent, method: opts.method ?? 'GET', headers: { cookie, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const form = await get('/login');
  const setCookies = (h: unknown) => ((h as string[] | undefined) ?? []).map((c) => c.split(';')[0]!);
  cookie = setCookies(form.headers['set-cookie']).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const logged = await (get as (p: string, o: object) => ReturnType<Get>)('/login', { method: 'POST', form: { name: 'bench', password: 'x', _csrf: csrf } });
  cookie = [cookie, ...setCookies(logged.headers['set-cookie'])].join('; ');
  return { get, close: async () => (agent.destroy(), await web.close()) };
}

async function measure(name: string, store: Store, dir: string): Promise<string[]> {
  const { get, close } = await consoleFor(store, dir);
  const lines: string[] = [];
  try {
    for (const path of PATHS) {
      const first = await get(path);
      if (first.status !== 200) throw new Error(`${path}: ${first.status} ${first.body.slice(0, 200)}`);
      const rows = path.startsWith('/api/') ? (JSON.parse(first.body) as { sessions: unknown[] }).sessions.length : (first.body.match(/<tr class=/g) ?? []).length;
      const ms: number[] = [];
      for (let i = 0; i < REPS; i++) {
        const t = process.hrtime.bigint();
        await get(path);
        ms.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
      const s = stats(ms);
      const p95 = [...ms].sort((a, b) => a - b)[Math.ceil(ms.length * 0.95) - 1]!;
      lines.push(`| ${name} | \`${path}\` | ${rows} | ${s.median.toFixed(1)} | ${p95.toFixed(1)} | ${s.max.toFixed(1)} |`);
      console.error(lines.at(-1));
    }
  } finally {
    await close();
  }
  // The list as it was read before: every session, then each one's channels.
  const t = process.hrtime.bigint();
  const all = await store.listSessions();
  await Promise.all(all.map(async (s) => sessionSummary(await store.channelsOf(s.auditKey))));
  lines.push(`| ${name} | before: every session + N channel selects (no HTTP) | ${all.length} | ${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(1)} | | |`);
  console.error(lines.at(-1));
  return lines;
}

const dir = mkdtempSync(join(tmpdir(), 'fumidai-bench-list-'));
let pgServer: Postgres | undefined;
try {
  const sessions = seededSessions(N);
  const out = [`Sessions: ${N} (with ${sessions.reduce((n, s) => n + s.channels.length, 0)} channels), ${REPS} requests each after one warm-up; milliseconds.`, '', '| store | request | rows | median | p95 | max |', '|---|---|---|---|---|---|'];
  const file = join(dir, 'store.db');
  await new SqliteStore(file).close();
  seedSqlite(file, sessions);
  const lite = new SqliteStore(file);
  out.push(...(await measure('SQLite', lite, dir)));
  await lite.close();
  if (process.env.BENCH_PG !== '0') {
    pgServer = await startPostgres();
    const url = await pgServer.newDatabase('bench');
    await (await PgStore.open(url, 'node-a')).close();
    await seedPg(url, sessions);
    const pgStore = await PgStore.open(url, 'node-a');
    out.push(...(await measure('PostgreSQL', pgStore, dir)));
    await pgStore.close();
  }
  console.log(out.join('\n'));
} finally {
  await pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
}
