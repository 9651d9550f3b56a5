import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fail } from './errors.js';
import { notice, noticeCodes } from './notices.js';

// Never called: tsc fails the build when an @ts-expect-error line compiles cleanly.
function noticeTypeChecks(): void {
  // @ts-expect-error seconds are a number
  notice('IDLE_WARNING', '60');
  // @ts-expect-error the argument is required
  notice('MAX_LENGTH_WARNING');
  // @ts-expect-error not a notice (errors come from fail())
  notice('ACCESS_DENIED', 'x');
}
void noticeTypeChecks;

test('notices: the texts users see (and the integration tests match)', () => {
  assert.equal(notice('IDLE_WARNING', 60), 'fumidai: no input for a while; this session ends in 60s unless you type something');
  assert.equal(notice('MAX_LENGTH_WARNING', 5), 'fumidai: this session reaches its maximum length in 5s');
  const x11 = notice('WITHOUT_X11', fail('ACCESS_DENIED', "x11 is not allowed by rule 'ops'"));
  assert.equal(x11, "fumidai: access denied: x11 is not allowed by rule 'ops' (ACCESS_DENIED); going on without X11");
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8').replace(/\s+/g, ' ');
  assert.ok(readme.includes(x11), 'the README quotes the X11 line as it is');
});

test('notices: each is one line starting with fumidai:', () => {
  for (const code of noticeCodes) {
    const line = (notice as (c: string, ...a: unknown[]) => string)(code, 7);
    assert.ok(line.startsWith('fumidai: ') && !line.includes('\n'), `${code}: ${line}`);
  }
});
