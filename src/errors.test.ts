import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodes, fail, userLine } from './errors.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

test('errors: the README error-code table and src/errors.ts list the same codes', () => {
  const section = readme.slice(readme.indexOf('### Error codes'));
  const documented = new Set([...section.matchAll(/^\| (`[A-Z_]+`(?: \/ `[A-Z_]+`)*) \|/gm)].flatMap((m) => m[1]!.split(' / ').map((c) => c.slice(1, -1))));
  assert.deepEqual([...errorCodes, 'INTERNAL'].filter((c) => !documented.has(c)), [], 'codes missing from the README');
  assert.deepEqual([...documented].filter((c) => c !== 'INTERNAL' && !(errorCodes as string[]).includes(c)), [], 'README codes that do not exist');
});

test('errors: one line, the code last; anything else is INTERNAL without details', () => {
  const line = fail('USER_UNKNOWN', 'bob').line;
  assert.equal(line, "fumidai: no user named 'bob' (USER_UNKNOWN)");
  assert.equal(userLine(new Error('secret detail /etc/shadow')), 'fumidai: internal error, the administrator can find details in the log (INTERNAL)');
  for (const code of errorCodes) {
    const args = Array.from({ length: 3 }, (_, i) => `arg${i}`);
    const l = (fail as (c: string, ...a: unknown[]) => { line: string })(code, ...args).line;
    assert.ok(!l.includes('\n') && l.endsWith(`(${code})`), `${code}: ${l}`);
  }
});
