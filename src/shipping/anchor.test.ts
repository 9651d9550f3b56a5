import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneStaged, type Anchor } from './anchor.js';

const fake = (name: 'bucket' | 'syslog', sent: string[]): Anchor => ({
  name,
  onRound: () => undefined,
  flush: async () => ({ shipped: 0, backlog: 0 }),
  settled: async () => ({ shipped: 0, backlog: 0 }),
  waiting: async () => [],
  sent: async () => new Set(sent),
  stop: () => undefined,
});

test('pruning staged checkpoints: only what every anchor has sent, and only once it is old enough', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-prune-'));
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => join(dir, `${n}.json`));
  for (const p of [a, b, c, d]) writeFileSync(p, '{}\n');
  const old = (Date.now() - 20 * 60_000) / 1000;
  for (const p of [a, b, c]) utimesSync(p, old, old); // d is fresh
  const anchors = [fake('bucket', [a, b, d]), fake('syslog', [a, c, d])];
  const removed = await pruneStaged(anchors, [a, b, c, d].map((path) => ({ path })), 10 * 60_000);
  assert.equal(removed, 1);
  assert.deepEqual([a, b, c, d].map((p) => existsSync(p)), [false, true, true, true], 'a: sent by both and old; b, c: one anchor still owes them; d: too young');
  assert.equal(await pruneStaged([], [{ path: b }], 0), 0, 'with no anchor, nothing is ever pruned');
  assert.ok(existsSync(b));
});
