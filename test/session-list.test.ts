// The sessions list at scale: 10,000 sessions with their channels in SQLite and in a real PostgreSQL, each filter and
// the paging compared page by page with the same rule applied in memory (what the list must show), and a page's
// channels matching the session's own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PgStore } from '../src/store/pg-store.js';
import { SESSION_KINDS } from '../src/store/session-query.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { SessionIndex, SessionQuery } from '../src/store/store.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';
import { seededSessions, seedPg, seedSqlite, type Seeded } from './helpers/seed-sessions.js';
import { tempDir } from './helpers/temp-dir.js';

const N = 10_000;
const all = seededSessions(N);

/** The rule, in memory: what a filtered list holds, in its order. */
function expected(q: Omit<SessionQuery, 'limit' | 'after'>): string[] {
  return all
    .filter((s) => (q.user === undefined || s.user === q.user) && (q.target === undefined || s.target === q.target) && (q.login === undefined || s.login === q.login))
    .filter((s) => (q.sourceIp === undefined || s.sourceIp === q.sourceIp) && (q.state === undefined || s.state === q.state))
    .filter((s) => (q.from === undefined || s.endedAt === undefined || s.endedAt >= q.from) && (q.to === undefined || s.startedAt <= q.to))
    .filter((s) => q.kind === undefined || s.channels.some((c) => SESSION_KINDS[q.kind!].includes(c.kind)))
    .sort((a, b) => Number(b.state === 'live') - Number(a.state === 'live') || b.startedAt.localeCompare(a.startedAt) || b.auditKey.localeCompare(a.auditKey))
    .map((s) => s.auditKey);
}

/** Every page of a query, followed by its cursors. */
async function pages(index: SessionIndex, q: Omit<SessionQuery, 'limit' | 'after'>, limit: number): Promise<{ keys: string[]; pages: number; rows: Seeded[] }> {
  const keys: string[] = [];
  const rows: Seeded[] = [];
  let n = 0;
  for (let after: SessionQuery['after']; ; ) {
    const p = await index.sessionPage({ ...q, limit, ...(after ? { after } : {}) });
    n++;
    assert.ok(p.sessions.length <= limit);
    keys.push(...p.sessions.map((s) => s.auditKey));
    rows.push(...(p.sessions as Seeded[]));
    if (!p.next) break;
    assert.equal(p.sessions.length, limit, 'only the last page is short');
    after = p.next;
  }
  return { keys, pages: n, rows };
}

const FILTERS: Omit<SessionQuery, 'limit' | 'after'>[] = [
  {},
  { user: 'user3' },
  { target: 'target2', login: 'deploy' },
  { sourceIp: '10.0.4.7' },
  { kind: 'tunnel' },
  { kind: 'exec', user: 'user1' },
  { state: 'live' },
  { state: 'interrupted', target: 'target0' },
  { from: '2026-01-02T00:00:00.000Z', to: '2026-01-03T12:00:00.000Z' },
  { to: '2026-01-01T01:00:00.000Z', kind: 'sftp' },
  { user: 'nobody' },
];

function contract(name: string, open: () => Promise<{ index: SessionIndex; close: () => Promise<void> }>): void {
  describe(`sessions list at scale: ${name}`, () => {
    let index: SessionIndex;
    let close: () => Promise<void>;
    before(async () => ({ index, close } = await open()));
    after(async () => close?.());

    test('every filter, paged by 333 and by 1000: the same sessions in the same order as the rule, live first', async () => {
      for (const f of FILTERS) {
        const want = expected(f);
        for (const limit of [333, 1000]) {
          const got = await pages(index, f, limit);
          assert.deepEqual(got.keys, want, `${JSON.stringify(f)} by ${limit}`);
          assert.equal(got.pages, Math.max(1, Math.ceil(want.length / limit)), `${JSON.stringify(f)}: pages`);
        }
      }
      assert.equal(expected({}).length, N);
      assert.ok(expected({ state: 'live' }).length > 50 && expected({ kind: 'tunnel' }).length > 1000, 'the filters select something');
    });

    test('a page carries each session with its own channels (one select for the page), and the first page is live first', async () => {
      const { rows } = await pages(index, { user: 'user4' }, 500);
      const byKey = new Map(all.map((s) => [s.auditKey, s]));
      for (const r of rows) {
        const s = byKey.get(r.auditKey)!;
        assert.deepEqual(r.channels, s.channels, r.auditKey);
        assert.equal(r.state, s.state);
        assert.equal(r.endedAt, s.endedAt);
      }
      const first = await index.sessionPage({ limit: 100 });
      assert.ok(first.sessions.slice(0, 5).every((s) => s.state === 'live'));
    });
  });
}

contract('SQLite', async () => {
  const file = join(tempDir('fumidai-list-'), 'store.db');
  await new SqliteStore(file).close();
  seedSqlite(file, all);
  const store = new SqliteStore(file);
  return { index: store, close: () => store.close() };
});

let server: Postgres | undefined;
contract('PostgreSQL', async () => {
  server = await startPostgres();
  const url = await server.newDatabase('list');
  await (await PgStore.open(url, 'node-a')).close();
  await seedPg(url, all);
  const store = await PgStore.open(url, 'node-a');
  return { index: store, close: async () => (await store.close(), await server?.stop()) };
});
