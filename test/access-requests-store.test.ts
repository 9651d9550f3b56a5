// The AccessRequests role of the store, against SQLite and a real PostgreSQL: a request is added, listed per user,
// changed only if still as seen (two approvers never both win), approved ones are found, an expiry is claimed once;
// ended access (used or not) and unanswered requests are found for the expiry sweep until claimed.
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

/** Two nodes on one fresh database named `db`. */
const stores: [string, (db: string) => Promise<[Store, Store]>][] = [
  ['SQLite', async (db) => [new SqliteStore(join(dir, `${db}.db`)), new SqliteStore(join(dir, `${db}.db`))]],
  ['PostgreSQL', async (db) => {
    server ??= await startPostgres();
    const url = await server.newDatabase(db);
    return [await PgStore.open(url, 'node-a'), await PgStore.open(url, 'node-b')];
  }],
];

for (const [name, open] of stores) {
  describe(`access requests store: ${name}`, () => {
    test('add, list, change if unchanged, approved access, expiry claimed once', async () => {
      const [a, b] = await open('requests');
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

    test('ended access and unanswered requests are found until their expiry is claimed, once across nodes', async () => {
      const [a, b] = await open('expiries');
      try {
        const t0 = Date.now();
        const at = (s: number) => new Date(t0 + s * 1000).toISOString();
        const add = (user: string, pendingSec: number) => a.addAccessRequest({ user, target: 'db1', login: 'postgres', rule: 'db-jit', forSec: 60, reason: 'r', pendingUntil: at(pendingSec) });
        const approve = (id: number, untilSec: number) => a.changeAccessRequest(id, { state: 'pending', approvers: [] }, { state: 'approved', approvers: ['bob'], decidedBy: 'bob', decidedAt: at(0), grantedUntil: at(untilSec) });
        const used = await add('alice', 3600);
        await approve(used, 10);
        const unused = await add('alice', 3600);
        await approve(unused, 20);
        const unanswered = await add('carol', 15);
        const denied = await add('dan', 5);
        await a.changeAccessRequest(denied, { state: 'pending', approvers: [] }, { state: 'denied', approvers: [], decidedBy: 'bob', decisionReason: 'no', decidedAt: at(0) });
        const ids = async (s: number, limit = 10) => (await b.endedUnclaimed(new Date(t0 + s * 1000), limit)).map((r) => r.id);

        assert.deepEqual(await ids(5), [], 'nothing ended yet; a denied request is not an expiry');
        assert.deepEqual(await ids(10), [used], 'an approved access is due at its end');
        assert.equal(await a.claimAccessExpiry(used), true, 'the live re-check wrote it');
        assert.deepEqual(await ids(16), [unanswered], 'a pending request nobody answered is due at its pendingUntil');
        assert.deepEqual(await ids(30), [unused, unanswered]);
        assert.deepEqual(await ids(30, 1), [unused], 'at most limit');
        const swept = await Promise.all([a, b].map(async (s) => await s.endedUnclaimed(new Date(t0 + 30_000), 10)));
        const claims = await Promise.all(swept.flatMap((rows, i) => rows.map(async (r) => [r.id, await [a, b][i]!.claimAccessExpiry(r.id)] as const)));
        assert.deepEqual(claims.filter(([, won]) => won).map(([id]) => id).sort(), [unused, unanswered].sort(), 'two nodes sweeping at once: each expiry claimed once');
        assert.deepEqual(await ids(30), []);
        await b.releaseAccessExpiry(unused);
        assert.deepEqual(await ids(30), [unused], 'a claim given back (its event failed) is due again');
        assert.equal(await a.claimAccessExpiry(unused), true);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
