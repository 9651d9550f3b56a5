import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newestAnchored, TrailCheck } from './trail-status.js';

test('newestAnchored: per chain the highest sequence the bucket holds; pending ones and other kinds do not count', () => {
  const item = (objectKey: string, state: 'shipped' | 'pending', shippedAt?: string, kind: 'anchor' | 'audit' = 'anchor') => ({ kind, state, objectKey, shippedAt });
  assert.deepEqual(
    newestAnchored([
      item('p/anchors/vm/000000000007.json', 'shipped', '2026-12-05T10:00:00Z'),
      item('p/anchors/vm/000000000012.json', 'shipped', '2026-12-05T10:01:00Z'),
      item('p/anchors/vm/000000000013.json', 'pending'),
      item('p/anchors/vm-admin/000000000003.json', 'shipped', '2026-12-05T09:00:00Z'),
      item('p/audit/vm/2026-12-05.jsonl', 'shipped', '2026-12-05T11:00:00Z', 'audit'),
    ]).map((a) => [a.chain, a.seq]),
    [['vm', 12], ['vm-admin', 3]],
  );
  assert.deepEqual(newestAnchored([]), []);
});

test('TrailCheck: nothing until asked; then the verdict lines, whether intact, when and how long', async () => {
  let broken = false;
  const check = new TrailCheck(async () => [
    { chain: 'vm', verdict: broken ? { ok: false, file: '2026-12-05.jsonl', line: 3, problem: 'modified', detail: 'x' } : { ok: true, segments: 1, events: 5, checkpoints: 2 } },
  ]);
  assert.equal(check.last, undefined);
  const v = await check.verify();
  assert.equal(v.intact, true);
  assert.deepEqual(v.lines, ['vm: OK, 5 events in 1 segments, 2 signed checkpoints']);
  broken = true;
  assert.equal((await check.verify()).intact, false);
  assert.match(check.last!.lines[0]!, /^vm\/2026-12-05\.jsonl: line 3: modified/);
});
