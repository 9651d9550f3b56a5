import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenHash } from '../web/authn.js';
import { expiryOf, newToken } from './web-token.js';

test('tokens: fmd_ and 43 base64url characters (32 bytes), hashed with SHA-256', () => {
  const a = newToken();
  assert.match(a, /^fmd_[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(a.slice(4), 'base64url').length, 32);
  assert.notEqual(newToken(), a);
  assert.match(tokenHash(a), /^[0-9a-f]{64}$/);
});

test('--expires: durations, ISO times, nothing else', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  assert.equal(expiryOf('30d', now), '2026-12-31T00:00:00.000Z');
  assert.equal(expiryOf('12h', now), '2026-12-01T12:00:00.000Z');
  assert.equal(expiryOf('90m', now), '2026-12-01T01:30:00.000Z');
  assert.equal(expiryOf('2w', now), '2026-12-15T00:00:00.000Z');
  assert.equal(expiryOf('2027-01-01', now), '2027-01-01T00:00:00.000Z');
  for (const bad of ['soon', '30', '-1d', '2020-01-01', '1y']) assert.throws(() => expiryOf(bad, now), /--expires/, bad);
});
