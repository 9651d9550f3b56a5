// Writes the log-only events registered in events.ts (LOG_EVENTS): the one place a process-log line gets an `event`
// field, so an operator's alerts match a known vocabulary (a test refuses literal event names in log calls elsewhere).
import type { Level, Logger } from 'pino';
import type { LogEventDetails, LogEventName } from './events.js';

/** `{ event: name, ...fields }` at the given level, with the message for people reading the log. */
export function logEvent<N extends LogEventName>(log: Logger, level: Level, name: N, fields: LogEventDetails[N], message: string): void {
  const line: object = { event: name, ...fields }; // widened: pino's conditional parameter type cannot take a generic
  log[level](line, message);
}
