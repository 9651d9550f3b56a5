import { test } from 'node:test';
import assert from 'node:assert/strict';
import { menuInput, renderMenu } from './menu.js';

const entries = [
  { target: 'web1', login: 'ec2-user' },
  { target: 'db1', login: 'postgres' },
];
const start = { entries, line: '' };

test('menu: choose by number', () => {
  const step = menuInput(start, '2\r');
  assert.equal(step.kind, 'chosen');
  assert.deepEqual(step.kind === 'chosen' && step.entry, entries[1]);
});

test('menu: choose by name, typed in pieces with a backspace', () => {
  let step = menuInput(start, 'webx');
  assert.equal(step.kind, 'continue');
  step = menuInput(step.kind === 'continue' ? step.state : start, '\x7f1\n');
  assert.deepEqual(step.kind === 'chosen' && step.entry, entries[0]);
});

test('menu: unknown answer asks again, q and Ctrl-C quit', () => {
  const step = menuInput(start, 'nope\r');
  assert.equal(step.kind, 'continue');
  assert.match(step.output, /No target 'nope'/);
  assert.equal(menuInput(start, 'q\r').kind, 'quit');
  assert.equal(menuInput(start, '\x03').kind, 'quit');
  assert.equal(menuInput(start, '9\r').kind, 'continue');
});

test('menu: render lists targets or says there are none', () => {
  assert.match(renderMenu('alice', entries), /1\) ec2-user@web1/);
  assert.match(renderMenu('alice', []), /no targets/);
});

test('menu: what is typed after the choice is kept for the target', () => {
  const step = menuInput(start, '1\r\necho hi\r');
  assert.equal(step.kind, 'chosen');
  assert.equal(step.kind === 'chosen' && step.rest, 'echo hi\r');
});
