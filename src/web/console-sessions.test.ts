import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite-store.js';
import { ConsoleSessions, idHash } from './console-sessions.js';

test('console sessions: random ids, only their hash stored, idle expiry, a pending step taken once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-cs-'));
  const store = new SqliteStore(join(dir, 'store.db'));
  try {
    let now = 1_000_000;
    const s = new ConsoleSessions(store, () => 15 * 60_000, () => now);
    const id = await s.open('ann', 'auditor');
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    assert.notEqual(await s.open('ann', 'auditor'), id);
    assert.equal(await store.touchConsoleSession(id, now, 60_000), undefined, 'the store does not know the cookie itself');
    assert.equal((await store.touchConsoleSession(idHash(id), now, 60_000))?.name, 'ann', 'only its hash');
    now += 14 * 60_000;
    assert.equal((await s.touch(id))?.name, 'ann');
    now += 15 * 60_000 + 1;
    assert.equal(await s.touch(id), undefined, 'idle too long');
    now -= 1000;
    assert.equal(await s.touch(id), undefined, 'and forgotten');
    assert.equal(await s.touch(undefined), undefined);
    assert.equal(await s.touch('x'.repeat(43)), undefined);
    const other = await s.open('bob', 'admin');
    await s.close(other);
    assert.equal(await s.touch(other), undefined, 'closed');
    const p = await s.openPending('ann', 'challenge-1');
    assert.deepEqual(await s.takePending(p), { name: 'ann', challenge: 'challenge-1' });
    assert.equal(await s.takePending(p), undefined, 'once');
    const late = await s.openPending('ann');
    now += 5 * 60_000 + 1;
    assert.equal(await s.takePending(late), undefined);
    await s.openPending('ann');
    now += 5 * 60_000 + 1;
    const kept = await s.open('cid', 'auditor');
    await s.sweep();
    assert.equal((await s.touch(kept))?.name, 'cid', 'a fresh one survives the sweep');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
