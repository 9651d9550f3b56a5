// The AccessRequests role of the store, against SQLite and a real PostgreSQL: a request is added, listed per user,
// changed only if still as seen (two approvers never both win), approved ones are found, an expiry is claimed once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgStore } from '../src/store/pg-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';

let server: Postgres | undefined;
const dir = mkdtempSync(join(tmpdir(), 'fumidai-reqstore-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<[Store, Store]>][] = [
  ['SQLite', async () => [new SqliteStore(join(dir, 'store.db')), new SqliteStore(join(dir, 'store.db'))]],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    const url = await server.newDatabase('requests');
    return [await PgStore.open(url, 'node-a'), await PgStore.open(url, 'node-b')];
  }],
];

for (const [name, open] of stores) {
  describe(`access requests store: ${name}`, () => {
    test('add, list, change if unchanged, approved access, expiry claimed once', async () => {
      const [a, b] = await open();
      try {
        const pendingUntil = new Date(Date.now() + 3600_000).toISOString();
        const id = await a.addAccessRequest({ user: 'alice', target: 'db1', login: 'postgres', rule: 'db-jit', forSec: 7200, reason: 'INC-1234', pendingUntil });
        const other = await a.addAccessRequest({ user: 'carol', target: 'db1', login: 'postgres', rule: 'db-jit', forSec: 60, reason: 'x', pendingUntil });
        const r = (await b.accessRequest(id))!;
        assert.deepEqual([r.user, r.target, r.login, r.rule, r.forSec, r.reason, r.state, r.approvers, r.pendingUntil], ['alice', 'db1', 'postgres', 'db-jit', 7200, 'INC-1234', 'pending', [], pendingUntil]);
        assert.deepEqual((await b.listAccessRequests('alice')).map((x) => x.id), [id]);
        assert.deepEqual((await b.listAccessRequests()).map((x) => x.id), [other, id]);

        const token = await b.changeToken();
        const grantedUntil = new Date(Date.now() + 7200_000).toISOString();
        const change = { state: 'approved' as const, approvers: ['bob'], decidedBy: 'bob', decidedAt: new Date().toISOString(), grantedUntil };
        const results = await Promise.all([a.changeAccessRequest(id, { state: 'pending', approvers: [] }, change), b.changeAccessRequest(id, { state: 'pending', approvers: [] }, { ...change, approvers: ['dan'], decidedBy: 'dan' })]);
        assert.deepEqual(results.sort(), [false, true], 'one decider wins');
        assert.notEqual(await b.changeToken(), token, 'an approval is a change the live re-check sees');
        const approved = await b.approvedAccessOf('alice', new Date());
        assert.deepEqual(approved.map((x) => [x.id, x.state, x.grantedUntil]), [[id, 'approved', grantedUntil]]);
        assert.deepEqual(await b.approvedAccessOf('carol', new Date()), []);
        assert.deepEqual(await b.approvedAccessOf('alice', new Date(Date.now() + 3 * 86_400_000)), [], 'ended long ago: no longer named');

        assert.deepEqual(await Promise.all([a.claimAccessExpiry(id), b.claimAccessExpiry(id)]).then((x) => x.sort()), [false, true]);
        assert.equal(await a.claimAccessExpiry(id), false);
        assert.equal(await a.accessRequest(99999), undefined);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
