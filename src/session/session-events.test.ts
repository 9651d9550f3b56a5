// Fail closed at the session's level: an event that gates its action rejects with AUDIT_UNAVAILABLE when the trail
// cannot take it; an event about something already over is logged as lost and never rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Caller } from '../auth/login.js';
import type { AuditTrail } from '../audit/trail.js';
import { FumidaiError } from '../errors.js';
import { SessionEvents } from './session-events.js';

const caller: Caller = { user: 'alice', sourceIp: '10.0.0.5', sourcePort: 50522, keyFingerprint: 'SHA256:x', mfa: false };

function events(record: (name: string, ctx: object, fields: object) => Promise<void>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
  const log = pino({ base: undefined, timestamp: false }, sink);
  const trail = { record } as unknown as AuditTrail;
  return { lines, events: new SessionEvents(trail, '20261125T021503Z-alice-3f9c', caller, () => ({ target: 'web1', login: 'ec2-user' }), () => log) };
}

const full = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));

test('session events: emitOrRefuse rejects with AUDIT_UNAVAILABLE, one line naming the cause, when the trail cannot be written', async () => {
  const { events: e } = events(full);
  await assert.rejects(e.emitOrRefuse('ChannelOpen', { channelType: 'exec', command: 'uptime', pty: false }), (err: unknown) => {
    assert.ok(err instanceof FumidaiError);
    assert.equal(err.code, 'AUDIT_UNAVAILABLE');
    assert.equal(err.line, 'fumidai: the audit trail cannot be written (ENOSPC), so this was refused; tell the administrator (AUDIT_UNAVAILABLE)');
    return true;
  });
  await assert.rejects(e.emitOrRefuse('SessionStart'), { code: 'AUDIT_UNAVAILABLE' });
});

test('session events: emit never rejects; the loss is logged with the event name', async () => {
  const { events: e, lines } = events(full);
  await e.emit('SessionEnd', { durationSec: 1, bytesIn: 0, bytesOut: 0 });
  assert.deepEqual(lines.map((l) => [l.msg, l.lost, l.level]), [['audit event lost', 'SessionEnd', 50]]);
});

test('session events: both fill in the session, user, source, target and login, and resolve once written', async () => {
  const seen: unknown[] = [];
  const { events: e } = events(async (name, ctx, fields) => void seen.push([name, ctx, fields]));
  await e.emitOrRefuse('PortForward', { direction: 'local', destination: '127.0.0.1:5432', result: 'success' });
  await e.emit('PolicyDenied', { action: 'shell', reason: 'no' }, { target: 'db1', login: 'root' });
  const ctx = { sessionId: '20261125T021503Z-alice-3f9c', user: 'alice', sourceIp: '10.0.0.5', sourcePort: 50522 };
  assert.deepEqual(seen, [
    ['PortForward', { ...ctx, target: 'web1', login: 'ec2-user' }, { direction: 'local', destination: '127.0.0.1:5432', result: 'success' }],
    ['PolicyDenied', { ...ctx, target: 'db1', login: 'root' }, { action: 'shell', reason: 'no' }],
  ]);
});
