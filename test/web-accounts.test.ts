// The WebAccounts role of the store, against SQLite and a real PostgreSQL: accounts, TOTP steps used once, failures
// counted toward a lock that a success does not clear while it holds.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgStore } from '../src/store/pg-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { FumidaiError } from '../src/errors.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';

let server: Postgres | undefined;
const dir = mkdtempSync(join(tmpdir(), 'fumidai-webacc-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<Store>][] = [
  ['SQLite', async () => new SqliteStore(join(dir, 'store.db'))],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    return PgStore.open(await server.newDatabase('webacc'), 'node-a');
  }],
];

for (const [name, open] of stores) {
  describe(`web accounts: ${name}`, () => {
    test('add, get, list, remove; TOTP steps; lockout', async () => {
      const s = await open();
      try {
        await s.addWebAccount({ name: 'ann', role: 'auditor', passwordHash: 'scrypt$x', totpEnc: Buffer.from([1, 2]) });
        await s.addWebAccount({ name: 'adm', role: 'admin', passwordHash: 'scrypt$y' });
        await assert.rejects(s.addWebAccount({ name: 'ann', role: 'admin', passwordHash: 'z' }), (e) => e instanceof FumidaiError && e.code === 'WEB_ACCOUNT_EXISTS');
        const ann = (await s.getWebAccount('ann'))!;
        assert.deepEqual({ ...ann, createdAt: '' }, { name: 'ann', role: 'auditor', passwordHash: 'scrypt$x', totpEnc: Buffer.from([1, 2]), lastStep: 0, createdAt: '' });
        assert.equal((await s.getWebAccount('adm'))!.totpEnc, undefined);
        assert.deepEqual((await s.listWebAccounts()).map((a) => a.name), ['adm', 'ann']);
        assert.equal(await s.useWebTotpStep('ann', 100), true);
        assert.equal(await s.useWebTotpStep('ann', 100), false, 'a step is used once');
        assert.equal(await s.useWebTotpStep('ann', 99), false, 'nor an earlier one');
        const at = new Date('2026-12-01T00:00:00Z');
        for (let i = 1; i < 5; i++) assert.deepEqual(await s.recordWebFailure('ann', 5, 60, at), { consecutiveFailures: i, lockedUntil: undefined });
        assert.deepEqual(await s.recordWebFailure('ann', 5, 60, at), { consecutiveFailures: 5, lockedUntil: '2026-12-01T00:01:00.000Z' });
        assert.equal((await s.clearWebFailuresUnlessLocked('ann', at)).lockedUntil, '2026-12-01T00:01:00.000Z', 'a success while locked clears nothing');
        assert.deepEqual(await s.clearWebFailuresUnlessLocked('ann', new Date('2026-12-01T00:01:00Z')), { consecutiveFailures: 0, lockedUntil: undefined });
        assert.equal((await s.getUserLock('ann')).consecutiveFailures, 0, 'apart from SSH users');
        assert.equal(await s.removeWebAccount('ann'), true);
        assert.equal(await s.removeWebAccount('ann'), false);
        assert.equal(await s.getWebAccount('ann'), undefined);
      } finally {
        await s.close();
      }
    });
  });
}
