import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typedLinesAt } from './typed-lines.js';
import { typedLines } from './session-detail.js';

test('typedLinesAt: each line at the time of its Enter; backspace, Ctrl-C and cursor keys applied', () => {
  const inputs = [
    { time: 0.5, data: 'l' },
    { time: 0.6, data: 's' },
    { time: 0.9, data: '\r' },
    { time: 2, data: 'rm -rf /tmpx\x7f' },
    { time: 2.5, data: '\x1b[D\r' },
    { time: 3, data: 'oops\x03' },
    { time: 4, data: 'exit' },
  ];
  assert.deepEqual(typedLinesAt(inputs), [
    { offset: 0.9, text: 'ls' },
    { offset: 2.5, text: 'rm -rf /tmp' },
    { offset: 4, text: 'exit' },
  ]);
  assert.deepEqual(typedLines('ls\recho hi\r'), ['ls', 'echo hi'], 'the untimed form, as `sessions show` prints it');
});
