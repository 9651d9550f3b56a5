import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { linkProblem, signedPath } from './request-links.js';

test('a signed link holds for its id, action and expiry only', () => {
  const key = randomBytes(32);
  const exp = Math.floor(Date.now() / 1000) + 600;
  const q = new URLSearchParams(signedPath(key, 7, 'approve', exp).split('?')[1]);
  const sig = q.get('sig')!;
  assert.equal(linkProblem(key, 7, 'approve', String(exp), sig), undefined);
  assert.match(linkProblem(key, 8, 'approve', String(exp), sig)!, /not signed by this bastion/);
  assert.match(linkProblem(key, 7, 'deny', String(exp), sig)!, /not signed by this bastion/);
  assert.match(linkProblem(key, 7, 'approve', String(exp + 1), sig)!, /not signed by this bastion/);
  assert.match(linkProblem(randomBytes(32), 7, 'approve', String(exp), sig)!, /not signed by this bastion/);
  assert.match(linkProblem(key, 7, 'approve', String(exp), sig, (exp + 1) * 1000)!, /the link expired at/);
  assert.match(linkProblem(key, 7, 'approve', undefined, sig)!, /incomplete/);
  assert.match(linkProblem(key, 7, 'approve', String(exp), 'short')!, /incomplete/);
});
