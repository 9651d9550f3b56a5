import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parseYaml } from './yaml-validate.js';

// Both were found by the fuzzer (test/fuzz): the YAML library throws for them after parsing, outside its error list.
test('yaml: an alias to nothing and a "billion laughs" file are refused in one line, not thrown', () => {
  const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
  for (const [text, why] of [['*!', /Unresolved alias/], [laughs, /Excessive alias count/]] as const) {
    const r = parseYaml(text, z.unknown());
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.match(r.problem.message, why);
      assert.doesNotMatch(r.problem.message + r.problem.where, /\n/);
    }
  }
});
