import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECOY_HASH, hashPassword, passwordProblem, verifyPassword } from './password.js';

test('scrypt hashes: salted per account, verified, wrong and decoy refused', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, /^scrypt\$32768\$8\$1\$/);
  assert.notEqual(a, b, 'a random salt per hash');
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('', DECOY_HASH), false);
  assert.equal(await verifyPassword('x', 'md5$abc'), false);
  assert.ok(passwordProblem('short'));
  assert.equal(passwordProblem('long enough pass'), undefined);
});
