import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PendingMfa } from './pending-mfa.js';

test('pending mfa: a user holds at most cap places; a place given back is free again; users apart', () => {
  const p = new PendingMfa();
  assert.equal(p.enter('alice', 2), true);
  assert.equal(p.enter('alice', 2), true);
  assert.equal(p.enter('alice', 2), false);
  assert.equal(p.enter('bob', 2), true, 'another user is not touched');
  p.leave('alice');
  assert.equal(p.waiting('alice'), 1);
  assert.equal(p.enter('alice', 2), true);
  p.leave('alice');
  p.leave('alice');
  assert.equal(p.waiting('alice'), 0);
});
