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

test('throttle: bans made elsewhere are adopted; a longer local ban is kept', () => {
  let now = 1_000_000;
  const t = new SourceThrottle({ banAfter: 2, windowSec: 60, banSec: 100 }, () => now);
  t.adopt([{ ip: '192.0.2.9', until: new Date(now + 30_000).toISOString() }]);
  assert.equal(t.bannedFor('192.0.2.9'), 30_000);
  t.failure('198.51.100.1');
  t.failure('198.51.100.1'); // banned here for 100 s
  t.adopt([{ ip: '198.51.100.1', until: new Date(now + 10_000).toISOString() }]);
  assert.equal(t.bannedFor('198.51.100.1'), 100_000);
  now += 30_001;
  assert.equal(t.bannedFor('192.0.2.9'), 0, 'an adopted ban ends too');
});
