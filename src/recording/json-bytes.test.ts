import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { jsonStringBytes } from './json-bytes.js';

test('json bytes: identical to JSON.stringify for any valid UTF-8', () => {
  const samples = ['', 'plain', '"q" \\ \b\f\n\r\t \x00\x01\x1b[0m\x7f', 'é✓𝄞 \u2028\u2029 日本', '\x1f"\\'];
  for (let i = 0; i < 500; i++) samples.push(randomBytes(40).toString('utf8')); // U+FFFD for invalid bytes: still valid text
  for (let c = 0; c < 0x80; c++) samples.push(String.fromCharCode(c));
  for (const s of samples) assert.deepEqual(jsonStringBytes(Buffer.from(s)), Buffer.from(JSON.stringify(s)), JSON.stringify(s));
});
