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
let dbs = 0;
const dir = mkdtempSync(join(tmpdir(), 'fumidai-webacc-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => Promise<Store>][] = [
  ['SQLite', async () => new SqliteStore(join(dir, `store${++dbs}.db`))],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    return PgStore.open(await server.newDatabase(`webacc${++dbs}`), 'node-a');
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

    test('API tokens by hash, revoked then replaced; console sessions and pending steps; WebAuthn keys and counters', async () => {
      const s = await open();
      try {
        await s.addWebToken({ name: 'ci', role: 'auditor', hash: 'h1', expiresAt: '2027-01-01T00:00:00.000Z' });
        await assert.rejects(s.addWebToken({ name: 'ci', role: 'admin', hash: 'h2' }), (e) => e instanceof FumidaiError && e.code === 'WEB_TOKEN_EXISTS');
        assert.equal((await s.webTokenByHash('h1'))?.name, 'ci');
        assert.equal(await s.webTokenByHash('h2'), undefined);
        const t0 = new Date('2026-12-01T00:00:00Z');
        await s.touchWebToken('ci', t0);
        await s.touchWebToken('ci', new Date(t0.getTime() + 30_000));
        assert.equal((await s.webTokenByHash('h1'))?.lastUsedAt, t0.toISOString(), 'at most once a minute');
        assert.equal(await s.revokeWebToken('ci'), true);
        assert.equal(await s.revokeWebToken('ci'), false);
        assert.ok((await s.webTokenByHash('h1'))?.revokedAt);
        await s.addWebToken({ name: 'ci', role: 'admin', hash: 'h2' }); // a revoked name may be used again
        assert.deepEqual((await s.listWebTokens()).map((t) => [t.name, t.role, t.hash, t.revokedAt, t.expiresAt]), [['ci', 'admin', 'h2', undefined, undefined]]);

        await s.openConsoleSession('sess', 'ann', 'auditor', 1000);
        assert.deepEqual(await s.touchConsoleSession('sess', 2000, 5000), { name: 'ann', role: 'auditor', lastSeen: 2000, via: 'password' });
        await s.openConsoleSession('sso', 'alice', 'admin', 1000, 'sso');
        assert.deepEqual(await s.touchConsoleSession('sso', 2000, 5000), { name: 'alice', role: 'admin', lastSeen: 2000, via: 'sso' }, 'a single sign-on session stays one');
        assert.equal(await s.touchConsoleSession('sess', 8000, 5000), undefined, 'idle past 5 s');
        assert.equal(await s.touchConsoleSession('sess', 3000, 5000), undefined, 'removed when found idle');
        await s.openConsoleSession('s2', 'ann', 'auditor', 1000);
        await s.closeConsoleSession('s2');
        assert.equal(await s.touchConsoleSession('s2', 1000, 5000), undefined);
        await s.putWebPending('p', { name: 'ann', challenge: 'c', at: 1000 });
        assert.deepEqual(await s.takeWebPending('p'), { name: 'ann', challenge: 'c', at: 1000 });
        assert.equal(await s.takeWebPending('p'), undefined);
        await s.openConsoleSession('old', 'ann', 'auditor', 1000);
        await s.putWebPending('p2', { name: 'ann', challenge: '', at: 1000 });
        assert.equal(await s.sweepConsoleSessions(1001, 1001), 2);

        await s.addWebAccount({ name: 'kay', role: 'admin', passwordHash: 'scrypt$k' });
        await s.addWebAuthnCredential({ id: 'cred1', account: 'kay', publicKey: Buffer.from([9, 8]), counter: 5, transports: ['usb'] });
        const k = (await s.webAuthnCredential('cred1'))!;
        assert.deepEqual({ ...k, createdAt: '' }, { id: 'cred1', account: 'kay', publicKey: Buffer.from([9, 8]), counter: 5, transports: ['usb'], createdAt: '' });
        assert.equal(await s.useWebAuthnCounter('cred1', 5), false, 'the counter must go up');
        assert.equal(await s.useWebAuthnCounter('cred1', 6), true);
        assert.equal(await s.useWebAuthnCounter('cred1', 6), false, 'once');
        assert.deepEqual((await s.webAuthnCredentials('kay')).map((c) => c.counter), [6]);
        // Removal: the account's own keys only, never its last second factor (kay has no TOTP; tom has).
        await s.addWebAuthnCredential({ id: 'cred2', account: 'kay', publicKey: Buffer.from([7]), counter: 0, transports: [] });
        await s.addWebAccount({ name: 'tom', role: 'auditor', passwordHash: 'scrypt$t', totpEnc: Buffer.from([3]) });
        await s.addWebAuthnCredential({ id: 'cred3', account: 'tom', publicKey: Buffer.from([6]), counter: 0, transports: [] });
        assert.equal(await s.removeWebAuthnCredential('tom', 'cred1'), 'unknown', 'not a key of tom');
        assert.equal(await s.removeWebAuthnCredential('kay', 'cred2'), 'removed');
        assert.equal(await s.removeWebAuthnCredential('kay', 'cred2'), 'unknown');
        assert.equal(await s.removeWebAuthnCredential('kay', 'cred1'), 'last', 'kay would have no second factor left');
        assert.equal(await s.removeWebAuthnCredential('tom', 'cred3'), 'removed', 'tom keeps TOTP');
        assert.deepEqual((await s.webAuthnCredentials('kay')).map((c) => c.id), ['cred1']);
        assert.equal(await s.removeWebAccount('kay'), true);
        assert.equal(await s.webAuthnCredential('cred1'), undefined, 'an account\'s keys go with it');
      } finally {
        await s.close();
      }
    });
  });
}
