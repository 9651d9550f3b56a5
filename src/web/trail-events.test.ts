import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvents, sessionEvents } from './trail-events.js';

test('readEvents over two chains and two days: newest first, checkpoints and torn lines left out, paged; sessionEvents', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'trail-events-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const ev = (id: string, time: string, f: Record<string, unknown> = {}) => JSON.stringify({ seq: 1, eventId: id, eventTime: time, eventName: 'SessionStart', eventCode: 'FM2000I', result: 'success', ...f });
  for (const chain of ['vm', 'vm-admin']) mkdirSync(join(root, chain));
  writeFileSync(join(root, 'vm', '2026-12-01.jsonl'), [ev('a', '2026-12-01T10:00:00.000Z', { sessionId: 'k1' }), JSON.stringify({ seq: 2, checkpoint: { v: 2 } }), '{"torn'].join('\n') + '\n');
  writeFileSync(join(root, 'vm', '2026-12-02.jsonl'), ev('c', '2026-12-02T10:00:00.000Z', { sessionId: 'k1' }) + '\n');
  writeFileSync(join(root, 'vm-admin', '2026-12-01.jsonl'), ev('b', '2026-12-01T11:00:00.000Z', { eventName: 'AdminChange', eventCode: 'FM4000I' }) + '\n');
  const all = await readEvents(root, { limit: 10 });
  assert.deepEqual(all.events.map((e) => e.eventId), ['c', 'b', 'a']);
  assert.equal(all.next, undefined);
  const p1 = await readEvents(root, { limit: 2 });
  assert.deepEqual(p1.events.map((e) => e.eventId), ['c', 'b']);
  assert.deepEqual((await readEvents(root, { limit: 2, before: p1.next })).events.map((e) => e.eventId), ['a']);
  assert.deepEqual((await readEvents(root, { limit: 10, type: 'AdminChange' })).events.map((e) => e.eventId), ['b']);
  assert.deepEqual((await readEvents(root, { limit: 10, until: '2026-12-01T10:30:00.000Z' })).events.map((e) => e.eventId), ['a']);
  const s = await sessionEvents(root, { auditKey: 'k1', startedAt: '2026-12-01T09:00:00.000Z', endedAt: '2026-12-01T12:00:00.000Z' });
  assert.deepEqual(s.events.map((e) => e.eventId), ['a'], 'only the days the session spans');
  assert.deepEqual((await readEvents(join(root, 'none'), { limit: 5 })).events, []);
});
