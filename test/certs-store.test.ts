// The Certificates role of the store, against SQLite and a real PostgreSQL: serials that only grow (also from two
// nodes at once), what was issued, revocations by a CA's serial or by key id (a change the live re-check sees), and
// targets' certificate login.
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
const dir = mkdtempSync(join(tmpdir(), 'fumidai-certstore-'));
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Two handles on one store, as two nodes (or a node and the CLI) have. */
const stores: [string, () => Promise<[Store, Store]>][] = [
  ['SQLite', async () => [new SqliteStore(join(dir, 'store.db')), new SqliteStore(join(dir, 'store.db'))]],
  ['PostgreSQL', async () => {
    server ??= await startPostgres();
    const url = await server.newDatabase('certs');
    return [await PgStore.open(url, 'node-a'), await PgStore.open(url, 'node-b')];
  }],
];

for (const [name, open] of stores) {
  describe(`certificates store: ${name}`, () => {
    test('serials grow on both handles; issued, revoked, found; certificate login of a target', async () => {
      const [a, b] = await open();
      try {
        const serials = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextCertSerial()));
        assert.equal(new Set(serials).size, 20, 'never the same serial twice');
        assert.ok(Math.min(...serials) >= 1);
        const next = await a.nextCertSerial();
        assert.ok(next > Math.max(...serials), 'a later serial is larger');
        await a.recordIssuedCert({ serial: next, user: 'alice', keyId: `fumidai:alice:${next}`, fingerprint: 'SHA256:k', validBefore: '2026-12-05T20:00:00.000Z' });
        assert.deepEqual((await b.listIssuedCerts()).map((c) => [c.serial, c.user, c.keyId]), [[next, 'alice', `fumidai:alice:${next}`]]);

        assert.equal(await b.certRevocation('SHA256:ca', next, 'fumidai:alice:x'), undefined);
        const token = await b.changeToken();
        await a.revokeCert({ serial: next, ca: 'SHA256:ca', reason: 'lost laptop' });
        assert.notEqual(await b.changeToken(), token, 'a revocation is a change the live re-check sees');
        assert.equal((await b.certRevocation('SHA256:ca', next, 'other'))?.reason, 'lost laptop');
        assert.equal(await b.certRevocation('SHA256:other-ca', next, 'other'), undefined, 'a serial is revoked for its CA only');
        await a.revokeCert({ keyId: 'vault-bob', reason: 'left' });
        assert.equal((await b.certRevocation('SHA256:any', 999, 'vault-bob'))?.reason, 'left');
        assert.deepEqual((await b.listCertRevocations()).map((r) => [r.serial, r.ca, r.keyId]), [[next, 'SHA256:ca', undefined], [undefined, undefined, 'vault-bob']]);

        await a.addTarget({ name: 'web1', host: 'h', port: 22, defaultLogin: 'u' });
        assert.equal((await b.getTarget('web1'))!.certLogin, undefined);
        assert.equal(await a.setCertLogin('web1', true), true);
        assert.equal((await b.getTarget('web1'))!.certLogin, true);
        assert.equal(await a.setCertLogin('nope', true), false);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
