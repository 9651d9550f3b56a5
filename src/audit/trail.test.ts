// A trail write that fails: the caller gets the error, the log an AuditWriteFailed line, the server its count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { fail, FumidaiError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import { auditUnavailable, AuditTrail } from './trail.js';

function trail(record: () => Promise<unknown>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const t = new AuditTrail({ record } as unknown as AuditLog, pino({ base: undefined, timestamp: false }, sink));
  return { t, lines };
}

test('audit trail: a failed write rejects, is logged as AuditWriteFailed with the event and code, and is counted', async () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const { t, lines } = trail(() => Promise.reject(enospc));
  const counted: Error[] = [];
  t.onWriteFailure = (err) => void counted.push(err);
  await assert.rejects(t.record('ChannelOpen', { user: 'alice' }, { channelType: 'shell', pty: true }), enospc);
  assert.deepEqual(counted, [enospc]);
  const failed = lines.filter((l) => l.event === 'AuditWriteFailed');
  assert.deepEqual(failed.map((l) => [l.level, l.failed, l.code, l.msg]), [[50, 'ChannelOpen', 'ENOSPC', 'audit trail write failed']]);
});

test('audit trail: a counter that throws does not hide the write error', async () => {
  const { t } = trail(() => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })));
  t.onWriteFailure = () => {
    throw new Error('counter broke');
  };
  await assert.rejects(t.record('SessionStart', {}), { code: 'EIO' });
});

test('audit trail: a write that works is not counted', async () => {
  const { t, lines } = trail(async () => ({ eventName: 'SessionStart' }));
  let counted = 0;
  t.onWriteFailure = () => void counted++;
  await t.record('SessionStart', {});
  assert.equal(counted, 0);
  assert.ok(!lines.some((l) => l.event === 'AuditWriteFailed'));
});

test('auditUnavailable: a system error becomes AUDIT_UNAVAILABLE with its code (the message without one); ours stay', () => {
  const e = auditUnavailable(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
  assert.equal(e.line, 'fumidai: the audit trail cannot be written (ENOSPC), so this was refused; tell the administrator (AUDIT_UNAVAILABLE)');
  assert.ok(e.cause instanceof Error);
  assert.match(auditUnavailable(new Error('lock busy')).message, /\(lock busy\)/);
  const ours = fail('KEY_INVALID', 'audit_ed25519_key', 'truncated');
  assert.equal(auditUnavailable(ours), ours);
  assert.ok(auditUnavailable(ours) instanceof FumidaiError);
});

test('audit trail: an event whose code is a warning (PolicyDenied, FM1200W) goes to the log at warn, others at info', async () => {
  const { t, lines } = trail(async () => ({}));
  await t.record('PolicyDenied', { user: 'alice' }, { action: 'shell', reason: 'denied by rule x' });
  await t.record('SessionStart', {});
  assert.deepEqual(lines.map((l) => [l.event, l.level]), [['PolicyDenied', 40], ['SessionStart', 30]]);
});

test('audit trail: observers hear each written event and each failed write; one that throws changes nothing', async () => {
  const heard: string[] = [];
  const observe = (t: AuditTrail) => {
    t.observe({ written: () => { throw new Error('observer broke'); }, writeFailed: () => { throw new Error('observer broke'); } });
    t.observe({ written: (e) => void heard.push(`written ${e.eventName}`), writeFailed: (name, ctx, err) => void heard.push(`failed ${name} ${ctx.user} ${err.message}`) });
  };
  const ok = trail(async () => ({ eventName: 'SessionStart' }));
  observe(ok.t);
  await ok.t.record('SessionStart', {});
  const bad = trail(() => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })));
  observe(bad.t);
  await assert.rejects(bad.t.record('SessionStart', { user: 'alice' }), { code: 'EIO' });
  assert.deepEqual(heard, ['written SessionStart', 'failed SessionStart alice EIO']);
});
