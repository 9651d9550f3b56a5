import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelsOfSql, pageOf, sessionPageSql, withChannels } from './session-query.js';
import type { SessionRecord } from './store.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

test('sessionPageSql: filters in both groups, one argument per SQLite placeholder, PostgreSQL numbered', () => {
  const q = { user: 'ann', target: 'db', login: 'root', sourceIp: '10.0.0.1', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z', kind: 'tunnel' as const, limit: 50 };
  const lite = sessionPageSql(q, 'sqlite');
  assert.equal(count(lite.sql, /\?/g), lite.args.length);
  assert.equal(count(lite.sql, /UNION ALL/g), 1);
  assert.deepEqual(lite.args.slice(0, 9), ['ann', 'db', 'root', '10.0.0.1', q.from, q.to, 'direct-tcpip', 'forwarded-tcpip', 'x11']);
  assert.equal(lite.args.at(-1), 51, 'one row more than the page: is there a next page');
  const pg = sessionPageSql(q, 'pg');
  assert.doesNotMatch(pg.sql, /\?/);
  assert.equal(count(pg.sql, /\$\d+/g), pg.args.length);
  assert.match(pg.sql, /"user" = \$1 .*"user" = \$\d+/s);
});

test('sessionPageSql: a state picks one group; a cursor in the ended group drops the live one; values never in the text', () => {
  assert.doesNotMatch(sessionPageSql({ state: 'closed', limit: 10 }, 'sqlite').sql, /WHERE state = 'live'/);
  assert.doesNotMatch(sessionPageSql({ state: 'live', limit: 10 }, 'sqlite').sql, /UNION/);
  const past = sessionPageSql({ limit: 10, after: { live: false, startedAt: '2026-01-01T00:00:00Z', auditKey: "x' OR 1=1 --" } }, 'sqlite');
  assert.doesNotMatch(past.sql, /state = 'live' AND/);
  assert.doesNotMatch(past.sql, /OR 1=1/);
  assert.ok(past.args.includes("x' OR 1=1 --"));
  const inLive = sessionPageSql({ limit: 10, after: { live: true, startedAt: 't', auditKey: 'k' } }, 'sqlite');
  assert.equal(count(inLive.sql, /audit_key < \?/g), 1, 'the cursor bounds the live group only; all ended sessions follow');
  assert.deepEqual(sessionPageSql({ state: 'live', limit: 10, after: { live: false, startedAt: 't', auditKey: 'k' } }, 'pg').sql, 'SELECT * FROM sessions WHERE 1 = 0');
});

test('pageOf and channelsOfSql/withChannels: the cursor is the last row kept; channels joined by key', () => {
  const row = (i: number, state: SessionRecord['state'] = 'closed'): SessionRecord => ({ auditKey: `k${i}`, user: 'u', sourceIp: '1', sourcePort: 1, startedAt: `t${i}`, state });
  assert.deepEqual(pageOf([row(1), row(2)], 2), { rows: [row(1), row(2)] });
  assert.deepEqual(pageOf([row(1, 'live'), row(2, 'live'), row(3)], 2).next, { live: true, startedAt: 't2', auditKey: 'k2' });
  assert.equal(channelsOfSql(['a', 'b'], 'sqlite').sql.match(/\?/g)?.length, 2);
  assert.deepEqual(channelsOfSql(['a', 'b'], 'pg').args, [['a', 'b']]);
  const joined = withChannels([row(1), row(2)], [{ audit_key: 'k2', channel: 0, kind: 'exec', command: 'id' }, { audit_key: 'k2', channel: 1, kind: 'shell', command: null }]);
  assert.deepEqual(joined.map((s) => s.channels), [[], [{ channel: 0, kind: 'exec', command: 'id' }, { channel: 1, kind: 'shell' }]]);
});
