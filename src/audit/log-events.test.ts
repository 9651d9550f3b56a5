import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { EVENT_CODES, LOG_EVENTS } from './events.js';
import { logEvent } from './log-events.js';

// Never called: tsc fails the build when an @ts-expect-error line compiles cleanly.
function logTypeChecks(log: Logger): void {
  logEvent(log, 'info', 'ConfigReloaded', { why: 'SIGHUP', changed: ['session.idleTimeout'], needsRestart: [] }, 'config reloaded');
  // @ts-expect-error an audit event goes to the trail, not through logEvent
  logEvent(log, 'info', 'SessionStart', {}, 'session');
  // @ts-expect-error not a registered event
  logEvent(log, 'warn', 'DiskFull', {}, 'disk full');
  // @ts-expect-error a required field left out
  logEvent(log, 'warn', 'KeySyncFailed', {}, 'key bucket not reachable');
  // @ts-expect-error an unknown field
  logEvent(log, 'error', 'ConfigReloadFailed', { why: 'SIGHUP', reason: 'bad', file: 'x' }, 'not reloaded');
  // @ts-expect-error not a level
  logEvent(log, 'notice', 'KeySyncFailed', { err: 'ECONNREFUSED' }, 'key bucket not reachable');
}
void logTypeChecks;

test('logEvent writes the event name first, then its fields, at the level given', () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  const log = pino({ base: undefined, timestamp: false }, sink);
  logEvent(log, 'warn', 'Shipping', { shipped: 1, failed: 1, backlog: 3, pruned: 0, error: 'ECONNREFUSED' }, 'shipping round');
  assert.equal(lines[0], '{"level":40,"event":"Shipping","shipped":1,"failed":1,"backlog":3,"pruned":0,"error":"ECONNREFUSED","msg":"shipping round"}\n');
});

test('log lines with an event name go through logEvent: no `event` literal elsewhere in src/', () => {
  const src = fileURLToPath(new URL('../../../src/', import.meta.url));
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(files.length > 50, `found the sources in ${src}`);
  // An event name is PascalCase, which keeps out parameter types such as `once(event: 'close', ...)`.
  const literal = /\bevent:\s*['"`][A-Z]/;
  const offenders = files.flatMap((f) =>
    readFileSync(join(src, f), 'utf8').split('\n').flatMap((line, i) => (literal.test(line) ? [`src/${f}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(offenders, []);
});

test('log-only events are not audit events, but for RecordingInterrupted (an audit event the start also logs)', () => {
  assert.deepEqual(Object.keys(LOG_EVENTS).filter((name) => name in EVENT_CODES), ['RecordingInterrupted']);
});
