import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApproveArgs, parseDenyArgs, parseRequestArgs, words } from './request-args.js';

const w = (line: string) => {
  const r = words(line);
  if (!r.ok) throw new Error(r.why);
  return r.value;
};

test('words: quotes keep words together, as typed through ssh', () => {
  assert.deepEqual(w(`request db1 --reason "INC-1234 db down"`), ['request', 'db1', '--reason', 'INC-1234 db down']);
  assert.deepEqual(w(`a 'b c' ""`), ['a', 'b c', '']);
  assert.deepEqual(words('a "b'), { ok: false, why: 'unbalanced quotes' });
});

test('request: target, login, duration and reason', () => {
  assert.deepEqual(parseRequestArgs(w('db1 --login postgres --for 2h --reason INC-1234')), { ok: true, value: { target: 'db1', login: 'postgres', forSec: 7200, reason: 'INC-1234' } });
  assert.deepEqual(parseRequestArgs(w('db1 --reason INC-1234 db down --for 30m')), { ok: true, value: { target: 'db1', forSec: 1800, reason: 'INC-1234 db down' } });
  assert.deepEqual(parseRequestArgs(w('db1 --for 5s --reason "x y"')), { ok: true, value: { target: 'db1', forSec: 5, reason: 'x y' } });
});

test('request: strict', () => {
  const why = (line: string) => {
    const r = parseRequestArgs(w(line));
    assert.equal(r.ok, false, line);
    return !r.ok ? r.why : '';
  };
  assert.match(why('db1 --for 2h'), /a reason is required/);
  assert.match(why('db1 --for 2h --reason ""'), /a reason is required/);
  assert.match(why('db1 --reason x'), /--for is required/);
  assert.match(why('db1 --for two --reason x'), /--for takes a duration/);
  assert.match(why('db1 --for 0s --reason x'), /--for takes a duration/);
  assert.match(why('db1 db2 --for 2h --reason x'), /usage: request TARGET/);
  assert.match(why('--for 2h --reason x'), /usage: request TARGET/);
  assert.match(why('db1 --for 2h --reason x --sudo'), /unknown option --sudo/);
  assert.match(why('db1 --for 2h --for 3h --reason x'), /--for given twice/);
  assert.match(why('db1 --login --for 2h --reason x'), /--login needs a value/);
  assert.match(why(`db1 --for 2h --reason ${'x'.repeat(301)}`), /longer than 300/);
  assert.match(why('db1 --for 2h --reason "a\u001b[2Jb"'), /control characters/);
});

test('approve and deny', () => {
  assert.deepEqual(parseApproveArgs(['7']), { ok: true, value: { id: 7 } });
  for (const bad of [[], ['x'], ['0'], ['7', '8'], ['-1'], ['07']]) assert.equal(parseApproveArgs(bad).ok, false, bad.join(' '));
  assert.deepEqual(parseDenyArgs(w('7 --reason not during the freeze')), { ok: true, value: { id: 7, reason: 'not during the freeze' } });
  assert.equal(parseDenyArgs(w('7')).ok, false);
  assert.equal(parseDenyArgs(w('--reason x')).ok, false);
});
