import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countFailure, SourceThrottle, type SharedFailures } from './throttle.js';

test('throttle: delays grow, then the address is banned for a while, others untouched', async () => {
  let now = 0;
  const t = new SourceThrottle({ banAfter: 6, windowSec: 60, banSec: 300 }, () => now);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) delays.push((await t.failure('10.0.0.1')).delayMs);
  assert.deepEqual(delays, [0, 0, 250, 500, 1000]);
  assert.equal((await t.failure('10.0.0.1')).banned, true);
  assert.equal(t.bannedFor('10.0.0.1'), 300_000);
  assert.equal(t.bannedFor('10.0.0.2'), 0);
  now += 300_001;
  assert.equal(t.bannedFor('10.0.0.1'), 0);
});

test('throttle: failures outside the window are forgotten', async () => {
  let now = 0;
  const t = new SourceThrottle({ banAfter: 3, windowSec: 10, banSec: 60 }, () => now);
  await t.failure('a');
  await t.failure('a');
  now += 11_000;
  assert.equal((await t.failure('a')).banned, false);
  await t.sweep();
  now += 11_000;
  await t.sweep();
  assert.equal(t.bannedFor('a'), 0);
});

test('throttle: bans made elsewhere are adopted; a longer local ban is kept', async () => {
  let now = 1_000_000;
  const t = new SourceThrottle({ banAfter: 2, windowSec: 60, banSec: 100 }, () => now);
  t.adopt([{ ip: '192.0.2.9', until: new Date(now + 30_000).toISOString() }]);
  assert.equal(t.bannedFor('192.0.2.9'), 30_000);
  await t.failure('198.51.100.1');
  await t.failure('198.51.100.1'); // banned here for 100 s
  t.adopt([{ ip: '198.51.100.1', until: new Date(now + 10_000).toISOString() }]);
  assert.equal(t.bannedFor('198.51.100.1'), 100_000);
  now += 30_001;
  assert.equal(t.bannedFor('192.0.2.9'), 0, 'an adopted ban ends too');
});

/** What the store does for SharedFailures, in memory. */
class MemoryFailures implements SharedFailures {
  readonly rows = new Map<string, number[]>();
  async updateSourceFailures<T>(ip: string, update: (failures: number[]) => { failures: number[]; result: T }): Promise<T> {
    const { failures, result } = update(this.rows.get(ip) ?? []);
    this.rows.set(ip, failures);
    return result;
  }
  async sweepSourceFailures(before: number): Promise<number> {
    let n = 0;
    for (const [ip, f] of this.rows) if (Math.max(0, ...f) < before) n += Number(this.rows.delete(ip));
    return n;
  }
}

test('throttle: nodes sharing the failures count a flood spread over them once', async () => {
  let now = 1_000;
  const shared = new MemoryFailures();
  const rules = { banAfter: 4, windowSec: 60, banSec: 120 };
  const [a, b] = [new SourceThrottle(rules, () => now, shared), new SourceThrottle(rules, () => now, shared)];
  assert.equal((await a.failure('10.9.9.9')).banned, false);
  assert.equal((await b.failure('10.9.9.9')).banned, false);
  assert.equal((await a.failure('10.9.9.9')).delayMs, 250, 'the third failure in all is delayed, whichever node sees it');
  assert.equal((await b.failure('10.9.9.9')).banned, true, 'the fourth bans');
  assert.equal(b.bannedFor('10.9.9.9'), 120_000);
  assert.deepEqual(shared.rows.get('10.9.9.9'), [], 'a ban starts a fresh count');
  now += 61_000;
  await a.sweep();
  assert.equal(shared.rows.size, 0, 'quiet addresses are forgotten by the store too');
});

test('throttle rule: pure; only failures inside the window count', () => {
  const rules = { banAfter: 3, windowSec: 10, banSec: 5 };
  assert.deepEqual(countFailure([], 0, rules), { failures: [0], result: { delayMs: 0, banned: false } });
  assert.deepEqual(countFailure([0, 1000], 10_500, rules), { failures: [1000, 10_500], result: { delayMs: 0, banned: false } });
  assert.deepEqual(countFailure([1000, 2000], 3000, rules), { failures: [], result: { delayMs: 0, banned: true } });
});
