import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVENT_CODES, type EventFields, type EventName } from './events.js';
import type { AuditTrail } from './trail.js';

/** The shape of an emitter bound to a context, as a session's event() is. */
type EmitEvent = <N extends EventName>(name: N, fields: EventFields<N>) => Promise<void>;

// Never called: tsc checks these lines, and fails the build when an @ts-expect-error line compiles cleanly, so each
// one proves that a wrong emit is refused.
function emitTypeChecks(trail: AuditTrail, emit: EmitEvent): void {
  const ctx = { user: 'alice' };
  void trail.record('SessionStart', ctx); // no details: the fields may be left out
  void trail.record('SessionEnd', ctx, { reason: 'client disconnected', durationSec: 1.5, bytesIn: 1, bytesOut: 2 });
  void trail.record('PortForward', ctx, { direction: 'remote', listen: '127.0.0.1:9000', origin: '127.0.0.1:40110', result: 'success' });
  void emit('ChannelOpen', { channelType: 'x11', origin: '127.0.0.1:40110' });
  // @ts-expect-error a required detail left out, with the fields
  void trail.record('ConnectionOpened', ctx);
  // @ts-expect-error a required detail left out
  void trail.record('HostKeyPinned', ctx, { reason: 'first seen' });
  // @ts-expect-error an unknown detail
  void trail.record('SessionStart', ctx, { exitStatus: 0 });
  // @ts-expect-error a misspelt detail
  void emit('HostKeyPinned', { fingerprnt: 'SHA256:x' });
  // @ts-expect-error a wrong literal
  void trail.record('PortForward', ctx, { direction: 'sideways', destination: '127.0.0.1:5432' });
  // @ts-expect-error a detail of the other direction
  void trail.record('PortForward', ctx, { direction: 'local', listen: '127.0.0.1:9000' });
  // @ts-expect-error a wrong type
  void emit('RecordingSealed', { channel: '1', path: 'p', sha256: 'h', bytes: 1 });
  // @ts-expect-error result is success or failure
  void trail.record('AuthFailure', ctx, { result: 'denied' });
  // @ts-expect-error reason is a string
  void emit('SessionRevoked', { reason: 42 });
  // @ts-expect-error not an event
  void trail.record('SessionPaused', ctx, {});
  // @ts-expect-error a log-only event has no audit code
  void trail.record('Crash', ctx, { err: new Error('x') });
}

test('events: the README event table and EVENT_CODES list the same names with the same codes', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const table = readme.slice(readme.indexOf('| event | code | when |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const documented: Record<string, string> = {};
  for (const row of rows) {
    const [names, codes] = row.split('|').slice(1, 3).map((cell) => cell.trim().split(' / '));
    // `FM1110I / W` is FM1110I and FM1110W: a lone letter keeps the previous code's number.
    let previous = '';
    const expanded = codes!.map((c) => (previous = /^[IW]$/.test(c) ? previous.slice(0, -1) + c : c));
    assert.equal(names!.length, expanded.length, row);
    names!.forEach((name, i) => (documented[name] = expanded[i]!));
  }
  assert.deepEqual(documented, { ...EVENT_CODES });
});
