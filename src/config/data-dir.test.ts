import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { generateEd25519 } from './data-dir.js';

test('generated ed25519 keys always parse (ssh2 alone gets about 1 in 200 wrong)', () => {
  for (let i = 0; i < 1000; i++) {
    const pair = generateEd25519('t');
    const key = ssh2.utils.parseKey(pair.private);
    assert.ok(!(key instanceof Error), `key ${i} does not parse`);
    assert.equal(key.getPublicSSH().length, 51);
  }
});
