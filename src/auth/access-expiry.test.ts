import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepEndedAccess } from './access-expiry.js';
import type { AccessRequestRecord } from '../store/store.js';

const base = { user: 'alice', target: 'db1', login: 'postgres', rule: 'db-jit', forSec: 60, reason: 'r', createdAt: '2026-01-01T00:00:00Z', pendingUntil: '2026-01-01T01:00:00Z', approvers: [] };
const ended: AccessRequestRecord = { ...base, id: 1, state: 'approved', approvers: ['bob'], grantedUntil: '2026-01-01T00:10:00Z' };
const unanswered: AccessRequestRecord = { ...base, id: 2, state: 'pending' };

function fakeStore(rows: AccessRequestRecord[]) {
  const claimed = new Set<number>();
  return {
    claimed,
    endedUnclaimed: async () => rows.filter((r) => !claimed.has(r.id)),
    claimAccessExpiry: async (id: number) => !claimed.has(id) && Boolean(claimed.add(id)),
    releaseAccessExpiry: async (id: number) => void claimed.delete(id),
  };
}

test('an ended access and an unanswered request: one AccessExpired each, with the requester as user', async () => {
  const store = fakeStore([ended, unanswered]);
  const written: [string, Record<string, unknown>, Record<string, unknown>][] = [];
  const audit = { record: async (name: string, ctx: object, fields: object) => void written.push([name, ctx as Record<string, unknown>, fields as Record<string, unknown>]) };
  assert.equal(await sweepEndedAccess({ store, audit }), 2);
  assert.deepEqual(written, [
    ['AccessExpired', { user: 'alice', target: 'db1', login: 'postgres' }, { requestId: 1, target: 'db1', login: 'postgres', grantedUntil: ended.grantedUntil, reason: `access request #1 ended at ${ended.grantedUntil}` }],
    ['AccessExpired', { user: 'alice', target: 'db1', login: 'postgres' }, { requestId: 2, target: 'db1', login: 'postgres', pendingUntil: base.pendingUntil, result: 'failure', reason: `access request #2 not answered within requests.pendingFor (pending until ${base.pendingUntil})` }],
  ]);
  assert.equal(await sweepEndedAccess({ store, audit }), 0, 'claimed: never twice');
});

test('an event the trail could not take gives its claim back: the next sweep writes it', async () => {
  const store = fakeStore([ended]);
  let down = true;
  const audit = { record: async () => (down ? Promise.reject(new Error('disk full')) : undefined) };
  await assert.rejects(sweepEndedAccess({ store, audit }), /disk full/);
  assert.equal(store.claimed.size, 0);
  down = false;
  assert.equal(await sweepEndedAccess({ store, audit }), 1);
});
