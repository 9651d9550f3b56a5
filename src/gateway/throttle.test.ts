import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceThrottle } from './throttle.js';

test('throttle: delays grow, then the address is banned for a while, others untouched', () => {
  let now = 0;
  const t = new SourceThrottle({ banAfter: 6, windowSec: 60, banSec: 300 }, () => now);
  const delays = [1, 2, 3, 4, 5].map(() => t.failure('10.0.0.1').delayMs);
  assert.deepEqual(delays, [0, 0, 250, 500, 1000]);
  assert.equal(t.failure('10.0.0.1').banned, true);
  assert.equal(t.bannedFor('10.0.0.1'), 300_000);
  assert.equal(t.bannedFor('10.0.0.2'), 0);
  now += 300_001;
  assert.equal(t.bannedFor('10.0.0.1'), 0);
});

test('throttle: failures outside the window are forgotten', () => {
  let now = 0;
  const t = new SourceThrottle({ banAfter: 3, windowSec: 10, banSec: 60 }, () => now);
  t.failure('a');
  t.failure('a');
  now += 11_000;
  assert.equal(t.failure('a').banned, false);
  t.sweep();
  now += 11_000;
  t.sweep();
  assert.equal(t.bannedFor('a'), 0);
});
