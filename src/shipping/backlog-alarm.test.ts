import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BacklogAlarm } from './backlog-alarm.js';

test('backlog alarm: one "over" on the way past the threshold, one "cleared" when nothing waits, nothing in between', () => {
  const alarm = new BacklogAlarm(3);
  assert.deepEqual([0, 2, 3, 4, 9, 5, 1, 0, 0, 4, 0].map((n) => alarm.observe(n)), [
    undefined, undefined, undefined, 'over', undefined, undefined, undefined, 'cleared', undefined, 'over', 'cleared',
  ]);
});
