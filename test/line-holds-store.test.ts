// Held shell lines across nodes, against SQLite and a real PostgreSQL: node A holds a line and waits; an approver's
// decision made through node B (its own store handle) reaches A within a poll; self-approval and a second decision
// are refused with their events; a hold nobody decides expires, and a cancelled one cannot be allowed afterwards.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HoldDesk } from '../src/auth/line-holds.js';
import { EMPTY_POLICY, type PolicyDocument } from '../src/policy/types.js';
import { PgStore } from '../src/store/pg-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';

let server: Postgres | undefined;
const dir = mkdtempSync(join(tmpdir(), 'fumidai-holdstore-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<[Store, Store]>][] = [
  ['SQLite', async () => [new SqliteStore(join(dir, 'store.db')), new SqliteStore(join(dir, 'store.db'))]],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    const url = await server.newDatabase('holds');
    return [await PgStore.open(url, 'node-a'), await PgStore.open(url, 'node-b')];
  }],
];

const policy: PolicyDocument = { ...EMPTY_POLICY, groups: { leads: ['bob'] } };
const deskOn = (store: Store, events: string[]) =>
  new HoldDesk({ store, policy: { current: async () => policy }, audit: { record: async (name, ctx, f) => void events.push(`${name} ${ctx.user} ${f.result ?? 'success'}`) } });
const hold = { auditKey: 'k', user: 'alice', target: 'db1', login: 'postgres', rule: 'db-writes', line: 'psql -c "drop table x"', approvers: ['leads'] };
const by = (name: string) => ({ name, via: 'cli' as const, ctx: {} });

for (const [name, open] of stores) {
  describe(`held lines: ${name}`, () => {
    test('held on node A, allowed through node B; own and second decisions refused; expiry; cancel', { timeout: 30_000 }, async () => {
      const [a, b] = await open();
      try {
        const events: string[] = [];
        const holding = deskOn(a, []);
        const deciding = deskOn(b, events);
        const id = await holding.hold({ ...hold, pendingUntil: new Date(Date.now() + 10_000).toISOString() });
        const waiting = holding.wait(id, new Date(Date.now() + 10_000).toISOString(), new AbortController().signal);
        assert.match(await deciding.list(), new RegExp(`#${id} alice postgres@db1 rule 'db-writes'`));
        assert.match(await deciding.list('bob'), new RegExp(`#${id} alice`));
        assert.equal(await deciding.list('carol'), 'no held lines'); // neither hers nor hers to decide
        await assert.rejects(deciding.allow(id, by('alice')), (e: Error & { code?: string }) => e.code === 'HOLD_NOT_DECIDED' && /nobody decides their own line/.test(e.message));
        await assert.rejects(deciding.allow(id, by('carol')), /'carol' is not in an approvers group/);
        const at = Date.now();
        assert.match(await deciding.allow(id, by('bob')), /allowed/);
        assert.deepEqual(await waiting, { state: 'allowed', by: 'bob' });
        assert.ok(Date.now() - at < 1000);
        await assert.rejects(deciding.refuse(id, by('bob'), 'late'), /it was allowed already by bob/);
        assert.deepEqual(events, ['LineHoldAllowed alice failure', 'LineHoldAllowed carol failure', 'LineHoldAllowed bob success', 'LineHoldRefused bob failure']);

        const soon = new Date(Date.now() + 300).toISOString();
        const expiring = await holding.hold({ ...hold, pendingUntil: soon });
        assert.deepEqual(await holding.wait(expiring, soon, new AbortController().signal), { state: 'expired' });
        const later = new Date(Date.now() + 10_000).toISOString();
        const cancelled = await holding.hold({ ...hold, pendingUntil: later });
        const abort = new AbortController();
        const w = holding.wait(cancelled, later, abort.signal);
        abort.abort();
        assert.deepEqual(await w, { state: 'cancelled' });
        await assert.rejects(deciding.allow(cancelled, by('bob')), /it was cancelled already/);
        assert.equal(await deciding.list(), 'no held lines');
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
