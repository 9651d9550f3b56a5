import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { jsonStringBytes } from './json-bytes.js';

test('json bytes: identical to JSON.stringify for any valid UTF-8', () => {
  const samples = ['', 'plain', '"q" \\ \b\f\n\r\t \x00\x01\x1b[0m\x7f', 'é✓𝄞 \u2028\u2029 日本', '\x1f"\\'];
  for (let i = 0; i < 500; i++) samples.push(randomBytes(40).toString('utf8')); // U+FFFD for invalid bytes: still valid text
  for (let c = 0; c < 0x80; c++) samples.push(String.fromCharCode(c));
  // Every byte that needs escaping at every position of a 4-byte word, beside plain ASCII and multi-byte characters.
  for (const special of ['"', '\\', '\x00', '\x1f', '\n', '\x7f', ' ', 'é', '日']) {
    for (let at = 0; at < 9; at++) samples.push('abcdefgh'.slice(0, at) + special + 'ijklmnop'.slice(at));
  }
  for (const s of samples) assert.deepEqual(jsonStringBytes(Buffer.from(s)), Buffer.from(JSON.stringify(s)), JSON.stringify(s));
});

test('json line: lines built in the shared arena are exact and stay intact as more lines are written', async () => {
  const { jsonLine } = await import('./line-arena.js');
  const lines: { got: Buffer; want: string }[] = [];
  for (let i = 0; i < 3000; i++) {
    const text = i % 7 === 0 ? '"\\\x1b[0m\r\n'.repeat(i % 50) : randomBytes(i % 300).toString('base64') + 'é✓\t';
    lines.push({ got: jsonLine(`[${i}, "o", `, Buffer.from(text), ']\n'), want: `[${i}, "o", ${JSON.stringify(text)}]\n` });
  }
  for (const { got, want } of lines) assert.equal(got.toString('utf8'), want);
});
