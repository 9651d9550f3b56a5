import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkClock, type ClockState } from './clock.js';

const limits = { idleTimeoutSec: 900, maxLengthSec: 3600, warningSec: 60 };
const state = (idleSec: number, ageSec: number, warned = { idle: false, length: false }): ClockState => ({
  startedAt: -ageSec * 1000,
  lastInputAt: -idleSec * 1000,
  warned,
});

test('session clock: table', () => {
  assert.deepEqual(checkClock(state(10, 10), limits, 0), { kind: 'ok' });
  assert.deepEqual(checkClock(state(840, 900), limits, 0), { kind: 'warn', limit: 'idle', secondsLeft: 60 });
  assert.deepEqual(checkClock(state(850, 900, { idle: true, length: false }), limits, 0), { kind: 'ok' });
  assert.equal(checkClock(state(900, 900, { idle: true, length: false }), limits, 0).kind, 'end');
  assert.deepEqual(checkClock(state(1, 3550), limits, 0), { kind: 'warn', limit: 'length', secondsLeft: 50 });
  const end = checkClock(state(1, 3600), limits, 0);
  assert.equal(end.kind === 'end' && end.limit, 'length');
  assert.deepEqual(checkClock(state(99999, 99999), { idleTimeoutSec: 0, maxLengthSec: 0, warningSec: 60 }, 0), { kind: 'ok' });
});
