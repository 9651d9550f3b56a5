import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleSessions } from './console-sessions.js';

test('console sessions: random ids, idle expiry, a pending login is taken once', () => {
  let now = 0;
  const s = new ConsoleSessions(() => 15 * 60_000, () => now);
  const id = s.open('ann', 'auditor');
  assert.equal(Buffer.from(id, 'base64url').length, 32);
  assert.notEqual(s.open('ann', 'auditor'), id);
  now = 14 * 60_000;
  assert.equal(s.touch(id)?.name, 'ann');
  now += 15 * 60_000 + 1;
  assert.equal(s.touch(id), undefined, 'idle too long');
  assert.equal(s.touch(undefined), undefined);
  const p = s.openPending('ann');
  assert.equal(s.takePending(p), 'ann');
  assert.equal(s.takePending(p), undefined, 'once');
  const late = s.openPending('ann');
  now += 5 * 60_000 + 1;
  assert.equal(s.takePending(late), undefined);
});
