import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { AUDIT_KEY_FILE, createAuditKey } from './keys.js';
import { EVENT_CODES } from './events.js';
import { readSegments, verifySegments } from './verify.js';

test('event codes are unique', () => {
  const codes = Object.values(EVENT_CODES);
  assert.equal(new Set(codes).size, codes.length);
});

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function threeDays() {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-audit-'));
  made.push(dir);
  const keys = createAuditKey(join(dir, AUDIT_KEY_FILE));
  let now = new Date('2026-11-20T23:59:58Z');
  const log = new AuditLog(join(dir, 'audit'), keys.privateKey, () => now);
  for (let day = 0; day < 3; day++) {
    for (let i = 0; i < 4; i++) await log.record({ eventName: i % 2 ? 'AuthFailure' : 'AuthSuccess', user: `u${i}`, sourceIp: '10.0.0.1', reason: i % 2 ? 'unknown key' : undefined });
    now = new Date(now.getTime() + 24 * 3600 * 1000);
  }
  await log.close();
  return { dir: join(dir, 'audit'), keys };
}

test('audit log: segments per day, chained, checkpointed; an untouched log verifies', async () => {
  const { dir, keys } = await threeDays();
  const segs = readSegments(dir);
  assert.deepEqual(segs.map((s) => s.name), ['2026-11-20.jsonl', '2026-11-21.jsonl', '2026-11-22.jsonl']);
  assert.deepEqual(verifySegments(segs, keys.publicKey), { ok: true, segments: 3, events: 12, checkpoints: 3 });
  const first = JSON.parse(segs[0]!.text.split('\n')[0]!);
  assert.equal(first.eventCode, 'FM1100I');
  assert.equal(first.seq, 1);
});

test('audit log: the chain continues after a restart', async () => {
  const { dir, keys } = await threeDays();
  const log = new AuditLog(dir, keys.privateKey, () => new Date('2026-11-22T12:00:00Z'));
  await log.record({ eventName: 'SessionStart', user: 'x' });
  await log.close();
  const v = verifySegments(readSegments(dir), keys.publicKey);
  assert.equal(v.ok, true, JSON.stringify(v));
});

test('audit verify names the first modified, deleted, inserted and reordered line', async () => {
  const cases: [string, (lines: string[]) => string[], object][] = [
    ['modified', (l) => (l[1] = l[1]!.replace('"u1"', '"mallory"'), l), { file: '2026-11-21.jsonl', line: 2, problem: 'modified' }],
    ['deleted', (l) => (l.splice(2, 1), l), { file: '2026-11-21.jsonl', line: 3, problem: 'deleted' }],
    ['inserted', (l) => (l.splice(1, 0, l[0]!), l), { file: '2026-11-21.jsonl', line: 2, problem: 'inserted' }],
    ['reordered', (l) => ([l[1], l[2]] = [l[2]!, l[1]!], l), { file: '2026-11-21.jsonl', line: 2, problem: 'reordered' }],
  ];
  for (const [name, edit, expected] of cases) {
    const { dir, keys } = await threeDays();
    const file = join(dir, '2026-11-21.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, edit(lines).join('\n') + '\n');
    const v = verifySegments(readSegments(dir), keys.publicKey);
    assert.equal(v.ok, false, name);
    assert.deepEqual({ file: (v as { file: string }).file, line: (v as { line: number }).line, problem: (v as { problem: string }).problem }, expected, name);
  }
});

test('audit log refuses secret-looking fields', async () => {
  const { dir, keys } = await threeDays();
  const log = new AuditLog(dir, keys.privateKey);
  assert.throws(() => log.record({ eventName: 'AdminChange', details: { totpSecret: 'x' } }), /looks like a secret/);
  await log.close();
});

test('audit query: SQL over several days of segments', async () => {
  const { dir } = await threeDays();
  const { openEvents, query, segmentFiles } = await import('./query.js');
  const conn = await openEvents(segmentFiles(join(dir, '..')));
  const { rows } = await query(conn, `SELECT strftime(eventTime, '%Y-%m-%d') AS day, count(*) FILTER (WHERE eventName = 'AuthFailure') AS failures, count(*) AS n FROM events GROUP BY 1 ORDER BY 1`);
  assert.deepEqual(rows.map((r) => [r[0], Number(r[1]), Number(r[2])]), [['2026-11-20', 2, 4], ['2026-11-21', 2, 4], ['2026-11-22', 2, 4]]);
});
