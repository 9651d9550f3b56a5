import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { verifySegments } from './verify.js';

// Found by the fuzzer (test/fuzz): a line that is JSON but not an object made verify throw instead of naming it.
test('audit verify: a line that is JSON but not an object is a modified line, not an exception', () => {
  const key = generateKeyPairSync('ed25519').publicKey;
  for (const line of ['null', '[]', '42', '"text"']) {
    const v = verifySegments([{ name: '2026-12-05.jsonl', text: `${line}\n` }], key);
    assert.deepEqual(v, { ok: false, file: '2026-12-05.jsonl', line: 1, problem: 'modified', detail: 'not a JSON object' });
  }
});
