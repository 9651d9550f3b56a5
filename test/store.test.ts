// One contract, two stores: every method of the Store interface against SQLite and against a real PostgreSQL server,
// with the same expectations; then what only sharing needs (PostgreSQL): node-scoped recovery, spool, changes seen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgStore } from '../src/store/pg-store.js';
import { MIGRATIONS } from '../src/store/pg-migrations.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../src/store/sqlite-migrations.js';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { FumidaiError, type ErrorCode } from '../src/errors.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';

const code = (c: ErrorCode, text?: RegExp) => (err: unknown) => err instanceof FumidaiError && err.code === c && (!text || text.test(err.message));
const key = (user: string, n: number) => ({ user, fingerprint: `SHA256:${user}${n}`, type: 'ssh-ed25519', blob: Buffer.from([n, 0, 255]), comment: `${user}@laptop` });
const session = (auditKey: string, user = 'alice') => ({ auditKey, user, sourceIp: '10.0.0.5', sourcePort: 50522, target: 'web1', login: 'ec2-user', startedAt: `2026-11-2${auditKey.slice(-1)}T10:00:00.000Z` });

/** `open` gives a second connection to the same store each time it is called (as the CLI beside a server). */
function contract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let s: Store;
    before(async () => {
      s = await open();
    });
    after(async () => {
      await s?.close();
    });

    test('users and keys: add, find, disable, remove with everything of theirs; duplicates refused', async () => {
      await s.addUser('alice');
      await s.addUser('bob');
      await assert.rejects(s.addUser('alice'), code('USER_EXISTS'));
      await s.addKey(key('alice', 1));
      await s.addKey(key('alice', 2));
      await assert.rejects(s.addKey(key('alice', 1)), code('KEY_IN_USE', /'alice'/), 'a fingerprint belongs to one user');
      await assert.rejects(s.addKey({ ...key('bob', 1), fingerprint: 'SHA256:alice1' }), code('KEY_IN_USE', /SHA256:alice1 already belongs to user 'alice'/));
      await assert.rejects(s.addKey(key('nobody', 1)), code('USER_UNKNOWN'));
      assert.deepEqual((await s.findKey('SHA256:alice1'))?.blob, Buffer.from([1, 0, 255]));
      assert.deepEqual((await s.keysOf('alice')).map((k) => k.fingerprint), ['SHA256:alice1', 'SHA256:alice2']);
      assert.equal(await s.removeKey('bob', 'SHA256:alice2'), false, "not bob's key");
      assert.equal(await s.removeKey('alice', 'SHA256:alice2'), true);
      assert.equal(await s.setUserDisabled('bob', true), true);
      assert.equal((await s.getUser('bob'))?.disabled, true);
      assert.equal(await s.setUserDisabled('nobody', true), false);
      await s.addKey(key('bob', 1));
      await s.setMfa('bob', Buffer.from('sealed'));
      assert.equal(await s.removeUser('bob'), true);
      assert.equal(await s.findKey('SHA256:bob1'), undefined, 'keys go with the user');
      assert.equal(await s.getMfa('bob'), undefined, 'so does the second factor');
      assert.deepEqual((await s.listUsers()).map((u) => [u.name, u.disabled]), [['alice', false]]);
    });

    test('targets, host key pinning (first pin wins) and grants', async () => {
      await s.addTarget({ name: 'web1', host: '10.0.0.7', port: 22, defaultLogin: 'ec2-user' });
      await s.addTarget({ name: 'db1', host: '10.0.0.8', port: 2222, defaultLogin: 'postgres' });
      await assert.rejects(s.addTarget({ name: 'web1', host: 'x', port: 1, defaultLogin: 'x' }), code('TARGET_EXISTS'));
      await assert.rejects(s.grant('nobody', 'web1', 'root'), code('USER_UNKNOWN'));
      await assert.rejects(s.grant('alice', 'web9', 'root'), code('TARGET_UNKNOWN'));
      await s.pinHostKey('web1', 'AAAA1', 'SHA256:first');
      await s.pinHostKey('web1', 'AAAA2', 'SHA256:second');
      assert.equal((await s.getTarget('web1'))?.hostKeyFingerprint, 'SHA256:first');
      assert.equal(await s.forgetHostKey('web1'), true);
      assert.equal((await s.getTarget('web1'))?.hostKey, undefined);
      await s.grant('alice', 'web1', 'ec2-user');
      await s.grant('alice', 'web1', 'ec2-user'); // idempotent
      await s.grant('alice', 'web1', 'root');
      await s.grant('alice', 'db1', 'postgres');
      assert.deepEqual((await s.grantsOf('alice')).map((g) => `${g.login}@${g.target}`), ['postgres@db1', 'ec2-user@web1', 'root@web1']);
      assert.equal(await s.revoke('alice', 'web1', 'root'), 1);
      assert.equal(await s.removeTarget('db1'), true);
      assert.deepEqual((await s.grantsOf('alice')).map((g) => `${g.login}@${g.target}`), ['ec2-user@web1'], 'grants go with the target');
      assert.deepEqual((await s.listTargets()).map((t) => [t.name, t.port]), [['web1', 22]]);
    });

    test('sessions, channels, file operations and termination requests', async () => {
      await s.openSession(session('k1'));
      await s.openSession(session('k2', 'carol'));
      await s.updateSession('k2', { target: 'db9' });
      await s.openChannel({ auditKey: 'k1', channel: 1, kind: 'shell', recordingPath: '/r/k1/01-shell.cast', startedAt: '2026-11-21T10:00:01.000Z' });
      await s.openChannel({ auditKey: 'k1', channel: 2, kind: 'sftp', recordingPath: '/r/k1/02-sftp.bin', startedAt: '2026-11-21T10:00:02.000Z' });
      assert.deepEqual((await s.unsealedChannels()).map((c) => c.channel).sort(), [1, 2]);
      await s.sealChannel('k1', 1, { endedAt: '2026-11-21T10:01:00.000Z', exitStatus: 0, bytesIn: 5, bytesOut: 7_000_000_000, sha256: 'ab', recordingBytes: 99, state: 'sealed' });
      const [c1, c2] = await s.channelsOf('k1');
      assert.deepEqual([c1!.state, c1!.bytesOut, c1!.sha256, c2!.state], ['sealed', 7_000_000_000, 'ab', 'live']);
      for (const op of ['open', 'write', 'close']) await s.addFileOp({ auditKey: 'k1', channel: 2, at: '2026-11-21T10:00:03.000Z', op, path: '/tmp/a', result: 'ok', ...(op === 'close' ? { bytes: 3, sha256: 'cd' } : {}) });
      assert.deepEqual((await s.fileOpsOf('k1')).map((o) => o.op), ['open', 'write', 'close'], 'in the order they happened');
      assert.equal(await s.requestTermination('k2', 'suspicious'), true);
      assert.equal((await s.getSession('k2'))?.terminationRequested, 'suspicious');
      await s.closeSession('k1', { endedAt: '2026-11-21T10:02:00.000Z', exitStatus: 3, reason: 'client disconnected', bytesIn: 5, bytesOut: 10 });
      assert.equal(await s.requestTermination('k1', 'too late'), false, 'only a live session');
      assert.deepEqual((await s.listSessions({ live: true })).map((x) => x.auditKey), ['k2']);
      assert.deepEqual((await s.listSessions({ user: 'alice' })).map((x) => [x.state, x.exitStatus]), [['closed', 3]]);
      assert.deepEqual((await s.listSessions({ since: '2026-11-22T00:00:00Z' })).map((x) => x.target), ['db9']);
      assert.equal(await s.interruptLiveSessions('stopped'), 1);
      assert.equal((await s.getSession('k2'))?.state, 'interrupted');
    });

    test('screen text: phrase search with offsets and a marked snippet; search syntax in the text is just text', async () => {
      await s.addScreenText('k1', 1, [
        { offset: 1.5, text: 'alice@web1:~$ echo marker-42\nmarker-42' },
        { offset: 9.25, text: 'alice@web1:~$ psql -c "DROP TABLE users"' },
      ]);
      const hits = await s.searchScreen('marker-42');
      assert.deepEqual(hits.map((h) => [h.auditKey, h.channel, h.offset]), [['k1', 1, 1.5]]);
      assert.match(hits[0]!.snippet, /\[marker/);
      assert.deepEqual((await s.searchScreen('DROP TABLE')).map((h) => h.offset), [9.25]);
      assert.deepEqual(await s.searchScreen('TABLE DROP'), [], 'a phrase, in order');
      assert.deepEqual(await s.searchScreen('" OR *'), []);
    });

    test('typed lines: indexed beside the screens in one batch, searched apart from them, with their offsets', async () => {
      await s.addScreenText('k3', 4, [{ offset: 2, text: 'bob@db1:~$ ls' }, { offset: 5.5, text: 'sudo cat /etc/typed-marker.conf', kind: 'typed' }, { offset: 8, text: 'grep typed-marker', kind: 'typed' }]);
      assert.deepEqual((await s.searchTyped('typed-marker')).map((h) => [h.auditKey, h.channel, h.offset]), [['k3', 4, 5.5], ['k3', 4, 8]]);
      assert.match((await s.searchTyped('etc/typed-marker'))[0]!.snippet, /\[etc\/typed-marker\]/);
      assert.deepEqual([await s.searchScreen('typed-marker'), await s.searchTyped('bob'), await s.searchTyped('" OR *')], [[], [], []], 'each kind apart');
    });

    test('screen text: whole words as FTS5 reads them, whatever the case or accents, on either store', async () => {
      await s.addScreenText('k9', 2, [
        { offset: 3, text: 'root@web1:~# cat /etc/passwd' },
        { offset: 4, text: 'Ünïcödé Straße naïve "quoted" it\'s MARKER-7 db1.internal 10.0.0.9' },
      ]);
      const at = async (q: string) => (await s.searchScreen(q)).filter((h) => h.auditKey === 'k9').map((h) => h.offset);
      assert.deepEqual(await at('passwd'), [3], 'a word inside a path');
      assert.deepEqual(await at('etc/passwd'), [3]);
      assert.deepEqual(await at('pass'), [], 'whole words only');
      assert.deepEqual(await at('passwd etc'), [], 'in order');
      assert.deepEqual(await at('unicode'), [4], 'accents do not matter');
      assert.deepEqual(await at('NAIVE'), [4]);
      assert.deepEqual(await at('straße'), [4]);
      assert.deepEqual(await at('marker 7'), [4]);
      assert.deepEqual(await at('internal'), [4], 'a word inside a host name');
      assert.deepEqual(await at('0 0 9'), [4]);
      assert.deepEqual(await at('"quoted'), [4]);
      assert.deepEqual(await at("it's"), [4]);
      assert.deepEqual(await s.searchScreen(''), []);
      assert.deepEqual(await s.searchScreen(' -- '), []);
      assert.match((await s.searchScreen('cat /etc/passwd'))[0]!.snippet, /\[cat \/etc\/passwd\]/);
    });

    test('policy document, second factor (a step is used once), lockout', async () => {
      assert.equal(await s.getPolicyDocument(), undefined);
      await s.setPolicyDocument('rules: []');
      await s.setPolicyDocument('rules: [x]');
      assert.equal((await s.getPolicyDocument())?.document, 'rules: [x]');
      await assert.rejects(s.setMfa('nobody', Buffer.from([1])), code('USER_UNKNOWN'));
      await s.setMfa('alice', Buffer.from([1, 2, 3]));
      assert.equal(await s.useMfaStep('alice', 100), true);
      assert.equal(await s.useMfaStep('alice', 100), false, 'a replay');
      assert.equal(await s.useMfaStep('alice', 99), false, 'an older step');
      assert.equal(await s.useMfaStep('alice', 101), true);
      assert.deepEqual((await s.getMfa('alice'))?.secretEnc, Buffer.from([1, 2, 3]));
      assert.equal(await s.deleteMfa('alice'), true);
      const at = new Date('2026-11-25T00:00:00Z');
      assert.deepEqual(await s.recordAuthFailure('alice', 3, 60, at), { consecutiveFailures: 1, lockedUntil: undefined });
      await s.recordAuthFailure('alice', 3, 60, at);
      assert.deepEqual(await s.recordAuthFailure('alice', 3, 60, at), { consecutiveFailures: 3, lockedUntil: '2026-11-25T00:01:00.000Z' });
      assert.equal((await s.getUserLock('alice')).lockedUntil, '2026-11-25T00:01:00.000Z');
      assert.deepEqual(await s.clearFailuresUnlessLocked('alice', at), { consecutiveFailures: 3, lockedUntil: '2026-11-25T00:01:00.000Z' }, 'a success while locked clears nothing');
      assert.equal((await s.getUserLock('alice')).consecutiveFailures, 3);
      assert.deepEqual(await s.clearFailuresUnlessLocked('alice', new Date('2026-11-25T00:01:00.000Z')), { consecutiveFailures: 0, lockedUntil: undefined }, 'after the lock ends, a success clears');
      assert.deepEqual(await s.getUserLock('alice'), { consecutiveFailures: 0, lockedUntil: undefined });
      await s.recordAuthFailure('alice', 3, 60, at);
      await s.clearAuthFailures('alice');
      assert.deepEqual(await s.getUserLock('alice'), { consecutiveFailures: 0, lockedUntil: undefined });
    });

    test('address bans: the later end wins; only bans in force are listed', async () => {
      await s.banSource('192.0.2.7', '2026-11-25T10:00:00.000Z');
      await s.banSource('192.0.2.7', '2026-11-25T09:00:00.000Z');
      await s.banSource('2001:db8::1', '2026-11-25T08:00:00.000Z');
      assert.deepEqual(await s.sourceBans('2026-11-25T08:30:00.000Z'), [{ ip: '192.0.2.7', until: '2026-11-25T10:00:00.000Z' }]);
      assert.equal((await s.sourceBans('2026-11-25T07:00:00.000Z')).length, 2);
    });

    test('failures per source address: changed atomically from every connection, quiet ones swept', async () => {
      const other = await open();
      try {
        const add = (store: Store, ip: string, at: number) => store.updateSourceFailures(ip, (f) => ({ failures: [...f, at], result: f.length }));
        assert.equal(await add(s, '192.0.2.50', 1000), 0, 'an unknown address has none');
        await Promise.all(Array.from({ length: 8 }, (_, i) => add(i % 2 ? s : other, '192.0.2.50', 2000 + i)));
        assert.equal(await s.updateSourceFailures('192.0.2.50', (f) => ({ failures: [], result: f.length })), 9, 'none lost between connections');
        await add(s, '192.0.2.51', 5000);
        assert.equal(await other.sweepSourceFailures(4000), 1, 'the address with no recent failure goes');
        assert.equal(await s.updateSourceFailures('192.0.2.51', (f) => ({ failures: f, result: f })).then((f) => f.length), 1);
        assert.equal(await s.sweepSourceFailures(6000), 1);
      } finally {
        await other.close();
      }
    });

    test('the change token moves when another connection changes access', async () => {
      const other = await open();
      try {
        const before = await s.changeToken();
        assert.equal(await s.changeToken(), before, 'steady while nothing changes');
        await other.grant('alice', 'web1', 'deploy');
        const afterGrant = await s.changeToken();
        assert.notEqual(afterGrant, before);
        await other.removeKey('alice', 'SHA256:alice1');
        assert.notEqual(await s.changeToken(), afterGrant);
      } finally {
        await other.close();
      }
    });

    test('shipping spool: due, retried, shipped; a grown audit segment is due again; unspooled recordings', async () => {
      assert.deepEqual(await s.unspooledRecordings(), ['/r/k1/01-shell.cast']);
      await s.spoolAdd({ path: '/r/k1/01-shell.cast', objectKey: 'p/recordings/k1/01-shell.cast', kind: 'recording' });
      await s.spoolAdd({ path: '/a/n1/2026-11-25.jsonl', objectKey: 'p/audit/n1/2026-11-25.jsonl', kind: 'audit' });
      assert.deepEqual(await s.unspooledRecordings(), []);
      await s.spoolUpdate('/r/k1/01-shell.cast', { attempts: 1, lastError: 'down', nextAttemptAt: '2099-01-01T00:00:00.000Z' });
      assert.deepEqual((await s.spoolDue(new Date(Date.now() + 60_000).toISOString())).map((i) => i.kind), ['audit'], 'added now: due; the retry: not yet');
      await s.spoolUpdate('/a/n1/2026-11-25.jsonl', { state: 'shipped', shippedAt: '2026-11-25T00:00:00.000Z', shippedSize: 10, sha256: 'ef' });
      await s.spoolAdd({ path: '/a/n1/2026-11-25.jsonl', objectKey: 'p/audit/n1/2026-11-25.jsonl', kind: 'audit' });
      await s.spoolAdd({ path: '/r/k1/01-shell.cast', objectKey: 'p/recordings/k1/01-shell.cast', kind: 'recording' });
      const items = await s.spoolList();
      assert.deepEqual(items.map((i) => [i.kind, i.state, i.attempts]).sort(), [['audit', 'pending', 0], ['recording', 'pending', 1]]);
      assert.equal(items.find((i) => i.kind === 'recording')?.lastError, 'down', 'a pending item keeps its retry state');
      assert.equal(items.find((i) => i.kind === 'audit')?.pieces, false, 'shipped whole, as earlier versions did');
      await s.spoolUpdate('/a/n1/2026-11-25.jsonl', { state: 'refused', shippedSize: 20, pieces: true, lastError: 'changed' });
      await s.spoolAdd({ path: '/a/n1/2026-11-25.jsonl', objectKey: 'p/audit/n1/2026-11-25.jsonl', kind: 'audit' });
      const audit = (await s.spoolList()).find((i) => i.kind === 'audit');
      assert.deepEqual([audit?.state, audit?.shippedSize, audit?.pieces], ['refused', 20, true], 'a refused segment stays refused');
    });

    test('screen text still to index: terminal channels once ended, until their text is added (even none)', async () => {
      await s.openSession(session('k5'));
      const at = '2026-11-25T10:00:01.000Z';
      await s.openChannel({ auditKey: 'k5', channel: 1, kind: 'shell', recordingPath: '/r/k5/01-shell.cast', startedAt: at, screenPending: true });
      await s.openChannel({ auditKey: 'k5', channel: 2, kind: 'exec', recordingPath: '/r/k5/02-exec.bin', startedAt: at });
      await s.openChannel({ auditKey: 'k5', channel: 3, kind: 'shell', recordingPath: '/r/k5/03-shell.cast', startedAt: at, screenPending: true });
      const pending = async () => (await s.unindexedScreens()).filter((c) => c.auditKey === 'k5').map((c) => c.channel).sort();
      assert.deepEqual(await pending(), [], 'not while live');
      for (const ch of [1, 2, 3]) await s.sealChannel('k5', ch, { bytesIn: 1, bytesOut: 1, state: ch === 3 ? 'interrupted' : 'sealed' });
      assert.deepEqual(await pending(), [1, 3]);
      await s.addScreenText('k5', 1, [{ offset: 1.5, text: 'pending-marker' }]);
      await s.addScreenText('k5', 3, []);
      assert.deepEqual(await pending(), []);
      assert.deepEqual((await s.channelsOf('k5')).map((c) => c.screenPending), [false, false, false]);
      assert.deepEqual((await s.searchScreen('pending-marker')).map((h) => [h.auditKey, h.channel]), [['k5', 1]]);
    });

    test('bucket users: created and updated with exactly their keys, atomically; removal takes the user', async () => {
      assert.equal(await s.applyBucketUser('pk/dave.pub', '"e1"', 'dave', [key('dave', 1), key('dave', 2)]), 'created');
      assert.equal(await s.applyBucketUser('pk/dave.pub', '"e2"', 'dave', [key('dave', 3)]), 'updated');
      assert.deepEqual((await s.keysOf('dave')).map((k) => k.fingerprint), ['SHA256:dave3']);
      await assert.rejects(s.applyBucketUser('pk/erin.pub', '"x"', 'erin', [key('erin', 1), key('dave', 3)]), code('KEY_IN_USE', /'dave'/), 'a key of another user');
      assert.equal(await s.getUser('erin'), undefined, 'never half-applied');
      assert.deepEqual(await s.bucketUsers(), [{ objectKey: 'pk/dave.pub', etag: '"e2"', user: 'dave' }]);
      await s.removeBucketUser('pk/dave.pub', 'dave');
      assert.equal(await s.getUser('dave'), undefined);
      assert.deepEqual(await s.bucketUsers(), []);
    });

    test('users and targets are listed in byte order, as SQLite sorts them, whatever the database collation', async () => {
      for (const n of ['zed', 'a_x', 'a-x', 'a.x', 'a1']) await s.addUser(n);
      assert.deepEqual((await s.listUsers()).map((u) => u.name).filter((n) => n.startsWith('a') || n === 'zed'), ['a-x', 'a.x', 'a1', 'a_x', 'alice', 'zed']);
    });
  });
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'fumidai-store-'));
contract('SQLite', async () => new SqliteStore(join(sqliteDir, 'fumidai.db')));

test('SQLite: a file an earlier version made migrates on open, from its user_version on', async () => {
  const file = join(sqliteDir, 'from-v8.db');
  const old = new Database(file);
  for (const m of SQLITE_MIGRATIONS.slice(0, 8)) old.exec(m);
  old.pragma('user_version = 8');
  old.prepare(`INSERT INTO channels (audit_key, channel, kind, recording_path, started_at, state) VALUES ('old', 1, 'shell', '/r/01-shell.cast', '2026-11-20T10:00:00Z', 'sealed')`).run();
  old.prepare(`INSERT INTO spool (path, object_key, kind, state, next_attempt_at, shipped_size, sha256) VALUES ('/a/d.jsonl', 'p/audit/n/d.jsonl', 'audit', 'shipped', '', 7, 'ab')`).run();
  old.close();
  const s = new SqliteStore(file);
  try {
    assert.equal((await s.channelsOf('old')).length, 1);
    assert.deepEqual(await s.unindexedScreens(), [], 'channels recorded before version 9 are taken as indexed');
    assert.deepEqual((await s.spoolList()).map((i) => [i.shippedSize, i.sha256, i.pieces]), [[7, 'ab', false]], 'version 10: segments shipped whole until then');
  } finally {
    await s.close();
  }
  const now = new Database(file);
  assert.equal(now.pragma('user_version', { simple: true }), SQLITE_MIGRATIONS.length);
  now.close();
});

let server: Postgres | undefined;
let url = '';
contract('PostgreSQL', async () => {
  server ??= await startPostgres();
  url ||= await server.newDatabase('contract');
  return PgStore.open(url, 'node-a');
});

describe('PostgreSQL shared by nodes', () => {
  let a: Store;
  let b: Store;
  let shared = '';
  before(async () => {
    server ??= await startPostgres();
    shared = await server.newDatabase('nodes');
    // Two nodes starting at once: migrations run once, under a lock.
    [a, b] = await Promise.all([PgStore.open(shared, 'node-a'), PgStore.open(shared, 'node-b')]);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await server?.stop();
    rmSync(sqliteDir, { recursive: true, force: true });
  });

  test('each node recovers, interrupts and ships only its own sessions and recordings; the index is shared', async () => {
    await a.openSession(session('a1'));
    await b.openSession(session('b1'));
    await a.openChannel({ auditKey: 'a1', channel: 1, kind: 'exec', recordingPath: '/data-a/a1.bin', startedAt: '2026-11-21T10:00:00.000Z' });
    await b.openChannel({ auditKey: 'b1', channel: 1, kind: 'exec', recordingPath: '/data-b/b1.bin', startedAt: '2026-11-21T10:00:00.000Z' });
    assert.deepEqual((await a.unsealedChannels()).map((c) => c.auditKey), ['a1']);
    assert.equal(await b.interruptLiveSessions('node-b restarted'), 1);
    assert.equal((await a.getSession('a1'))?.state, 'live', "node-b's restart leaves node-a's session alone");
    await a.sealChannel('a1', 1, { bytesIn: 1, bytesOut: 1, state: 'sealed', sha256: 'x', recordingBytes: 1 });
    await b.sealChannel('b1', 1, { bytesIn: 1, bytesOut: 1, state: 'interrupted' });
    assert.deepEqual(await a.unspooledRecordings(), ['/data-a/a1.bin']);
    assert.deepEqual(await b.unspooledRecordings(), ['/data-b/b1.bin']);
    await b.openChannel({ auditKey: 'b1', channel: 2, kind: 'shell', recordingPath: '/data-b/b1.cast', startedAt: '2026-11-21T10:00:00.000Z', screenPending: true });
    await b.sealChannel('b1', 2, { bytesIn: 1, bytesOut: 1, state: 'interrupted' });
    assert.deepEqual([(await a.unindexedScreens()).length, (await b.unindexedScreens()).map((c) => c.recordingPath)], [0, ['/data-b/b1.cast']], 'a recording is indexed where its file is');
    await a.spoolAdd({ path: '/same/path.jsonl', objectKey: 'p/audit/node-a/x.jsonl', kind: 'audit' });
    await b.spoolAdd({ path: '/same/path.jsonl', objectKey: 'p/audit/node-b/x.jsonl', kind: 'audit' });
    assert.deepEqual((await a.spoolList()).map((i) => i.objectKey), ['p/audit/node-a/x.jsonl']);
    assert.deepEqual((await b.listSessions()).map((x) => x.auditKey).sort(), ['a1', 'b1'], 'one session index for all');
    assert.deepEqual([(await b.getSession('a1'))?.node, (await a.getSession('b1'))?.node], ['node-a', 'node-b'], 'each session names the node that holds it');
  });

  test('a lockout counts failures on every node; a kill request reaches the node that runs the session', async () => {
    await a.addUser('mallory');
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).recordAuthFailure('mallory', 10, 60)));
    assert.equal((await a.getUserLock('mallory')).consecutiveFailures, 10, 'no failure lost to a race');
    assert.ok((await b.getUserLock('mallory')).lockedUntil);
    const token = await a.changeToken();
    assert.equal(await b.requestTermination('a1', 'from node-b'), true);
    assert.notEqual(await a.changeToken(), token);
    assert.equal((await a.getSession('a1'))?.terminationRequested, 'from node-b');
  });

  test('the change token moves when a change commits, not before (a node never rechecks too early)', async () => {
    const c = new pg.Client({ connectionString: shared });
    await c.connect();
    try {
      await a.addUser('trent');
      const before = await b.changeToken();
      await c.query('BEGIN');
      await c.query("DELETE FROM users WHERE name = 'trent'");
      assert.equal(await b.changeToken(), before, 'not while the removal is uncommitted: a recheck now would still see trent');
      await c.query('COMMIT');
      assert.notEqual(await b.changeToken(), before);
      assert.equal(await b.getUser('trent'), undefined, 'and a recheck then sees the removal');
    } finally {
      await c.end();
    }
  });

  test('migrations keep what version 2 stored: screen text searchable by words, the token counting, segments shipped whole', async () => {
    const url = await server!.newDatabase('from_v2');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      for (const m of MIGRATIONS.slice(0, 2)) await c.query(m as string);
      await c.query('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2)');
      await c.query(`INSERT INTO screen_text (audit_key, channel, "offset", text) VALUES ('old', 1, 2.5, 'cat /etc/passwd')`);
      await c.query(`INSERT INTO spool (node, path, object_key, kind, state, next_attempt_at, shipped_size, sha256) VALUES ('node-a', '/a/d.jsonl', 'p/audit/n/d.jsonl', 'audit', 'shipped', '', 7, 'ab')`);
      await c.query("SELECT setval('access_changes', 41)");
    } finally {
      await c.end();
    }
    const s = await PgStore.open(url, 'node-a');
    try {
      assert.deepEqual((await s.searchScreen('passwd')).map((h) => [h.auditKey, h.offset]), [['old', 2.5]]);
      assert.equal(await s.changeToken(), 41);
      await s.addUser('zoe');
      assert.equal(await s.changeToken(), 42);
      assert.deepEqual((await s.spoolList()).map((i) => [i.shippedSize, i.sha256, i.pieces]), [[7, 'ab', false]], 'migration 6: segments shipped whole until then');
    } finally {
      await s.close();
    }
  });

  test('a store URL that cannot be used is one line, without the password', async () => {
    await assert.rejects(openStore({ url: 'postgres://fumidai:s3cret@127.0.0.1:1/x', sqliteFile: '', node: 'n' }), (err: Error & { line?: string }) => {
      assert.match(err.line!, /^fumidai: cannot use the store postgres:\/\/fumidai:\*\*\*@127\.0\.0\.1:1\/x: ECONNREFUSED .* \(STORE_UNAVAILABLE\)$/);
      assert.doesNotMatch(err.line!, /s3cret/);
      return true;
    });
    await assert.rejects(openStore({ url: 'mysql://x', sqliteFile: '', node: 'n' }), /expected postgres:\/\/USER@HOST:PORT\/DATABASE/);
  });
});
