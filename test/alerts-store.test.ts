// The alert spool, against SQLite and a real PostgreSQL with two nodes: hits of one rule and key fold into one alert
// until it is sealed, the next waits out the rate limit, each alert is sealed once, a delivery is held by one node at
// a time (even when both claim at once), a lost lease cannot record an outcome, and the address history.
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
const dir = mkdtempSync(join(tmpdir(), 'fumidai-alertstore-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<[Store, Store]>][] = [
  ['SQLite', async () => [new SqliteStore(join(dir, 'store.db')), new SqliteStore(join(dir, 'store.db'))]],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    const url = await server.newDatabase('alerts');
    return [await PgStore.open(url, 'node-a'), await PgStore.open(url, 'node-b')];
  }],
];

const hit = { rule: 'auth', key: '10.0.0.9', severity: 'warning', summary: 's', event: '{}', sinks: ['hook', 'mail'] };

for (const [name, open] of stores) {
  describe(`alert spool: ${name}`, () => {
    test('fold, rate limit, seal once, claim once, lease, outcome', async () => {
      const [a, b] = await open();
      try {
        const t = 1_000_000;
        for (let i = 0; i < 5; i++) await (i % 2 ? a : b).raiseAlert(hit, t + i, 60_000);
        assert.deepEqual(await Promise.all([a.sealAlerts(t + 10), b.sealAlerts(t + 10)]).then((n) => n[0] + n[1]), 1);
        // Hits after the seal make a second alert, held until the rate limit has passed since the first was sealed.
        await a.raiseAlert(hit, t + 20, 60_000);
        await b.raiseAlert(hit, t + 30, 60_000);
        assert.equal(await a.sealAlerts(t + 59_000), 0);
        const [first, second] = (await a.recentAlerts(10)).reverse();
        assert.deepEqual([first!.count, first!.deliveries.map((d) => d.sink), second!.count, second!.sealedAt], [5, ['hook', 'mail'], 2, undefined]);
        // Both nodes claim at once: each delivery goes to one of them.
        const [ca, cb] = await Promise.all([a.claimDeliveries('node-a', t + 100, 60_000, 10), b.claimDeliveries('node-b', t + 100, 60_000, 10)]);
        assert.equal(ca.length + cb.length, 2);
        assert.equal((await a.claimDeliveries('node-a', t + 200, 60_000, 10)).length, 0);
        const d = [...ca.map((x) => ['node-a', x] as const), ...cb.map((x) => ['node-b', x] as const)];
        assert.equal(d[0]![1].alert.count, 5);
        assert.equal(await a.finishDelivery(d[0]![1].alert.id, d[0]![1].sink, d[0]![0], { state: 'delivered', at: t + 300 }), true);
        assert.equal(await a.finishDelivery(d[1]![1].alert.id, d[1]![1].sink, d[1]![0], { state: 'pending', nextAt: t + 5000, error: 'refused' }), true);
        // Not due yet; then due, and after another node's lease ran out it takes it over, and the old holder cannot finish it.
        assert.equal((await b.claimDeliveries('node-b', t + 4000, 60_000, 10)).length, 0);
        assert.equal((await b.claimDeliveries('node-b', t + 5000, 1000, 10)).length, 1);
        const taken = await a.claimDeliveries('node-a', t + 6001, 60_000, 10);
        assert.equal(taken.length, 1);
        assert.equal(await b.finishDelivery(taken[0]!.alert.id, taken[0]!.sink, 'node-b', { state: 'failed', error: 'x' }), false);
        assert.equal(await a.finishDelivery(taken[0]!.alert.id, taken[0]!.sink, 'node-a', { state: 'failed', error: 'gave up' }), true);
        const states = (await b.recentAlerts(10)).at(-1)!.deliveries.map((x) => [x.state, x.attempts]);
        assert.deepEqual(states.sort(), [['delivered', 1], ['failed', 2]]);
        assert.equal(await b.sealAlerts(t + 60_011), 1);
        // Addresses: none known, then known; the next address is new for a user with history.
        assert.deepEqual(await a.touchAddress('alice', '192.0.2.1', t), { at: null, known: false });
        assert.deepEqual(await b.touchAddress('alice', '192.0.2.1', t + 5), { at: t, known: true });
        assert.deepEqual(await a.touchAddress('alice', '192.0.2.2', t + 6), { at: null, known: true });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
