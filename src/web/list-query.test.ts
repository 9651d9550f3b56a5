import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCursor, encodeCursor, listQuery, nextPageQuery, parseTime } from './list-query.js';

test('listQuery: defaults, limit capped at 1000, empty fields ignored, source is the address', () => {
  assert.deepEqual(listQuery({}), { query: { limit: 100 } });
  assert.deepEqual(listQuery({ limit: '5000', user: ' ann ', target: '', source: '10.0.0.1', kind: 'sftp', state: 'live' }), {
    query: { limit: 1000, user: 'ann', sourceIp: '10.0.0.1', kind: 'sftp', state: 'live' },
  });
});

test('listQuery: malformed values are refused, never widened to no filter', () => {
  for (const bad of [{ limit: '0' }, { limit: '-1' }, { limit: 'ten' }, { kind: 'scp' }, { state: 'dead' }, { from: 'yesterday' }, { to: '12:00' }, { after: 'bm9wZQ' }, { user: 'x'.repeat(300) }]) {
    assert.ok('error' in listQuery(bad), JSON.stringify(bad));
  }
});

test('times: a datetime-local field is UTC; ISO kept; cursors round-trip and bad ones are undefined', () => {
  assert.equal(parseTime('2026-12-05T14:30'), '2026-12-05T14:30:00.000Z');
  assert.equal(parseTime('2026-12-05T14:30:00+01:00'), '2026-12-05T13:30:00.000Z');
  assert.equal(parseTime('1700000000'), undefined);
  const c = { live: false, startedAt: '2026-01-01T00:00:00.000Z', auditKey: '2026/01/01/abc' };
  assert.deepEqual(decodeCursor(encodeCursor(c)), c);
  assert.equal(decodeCursor('!!'), undefined);
  assert.equal(decodeCursor(Buffer.from('[2,"a","b"]').toString('base64url')), undefined);
  const next = new URLSearchParams(nextPageQuery({ user: 'ann', after: 'old', kind: '' }, c));
  assert.deepEqual([...next.keys()], ['user', 'after']);
  assert.deepEqual(decodeCursor(next.get('after')!), c);
});
