// What the rest of fumidai calls to leave an audit event: it goes to the hash-chained trail (durable when the
// promise resolves), to the process log as a JSON line, and, for SIEMs that expect them, as classic sshd-style lines.
import type { Logger } from 'pino';
import { fail, FumidaiError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import { EVENT_CODES, type AuditEvent, type EventFields, type EventName, type OptionalFieldsEvent } from './events.js';
import { logEvent } from './log-events.js';
import { sshdLine } from './sshd-lines.js';

/** Who, from where, to where: the fields an emit site knows about the event's context. */
export type AuditContext = Partial<Pick<AuditEvent, 'sessionId' | 'user' | 'sourceIp' | 'sourcePort' | 'target' | 'login'>>;

export type { EventFields } from './events.js';

/** Told of every event once it is on disk, and of every write that failed (the alert engine listens). */
export interface AuditObserver {
  written(event: AuditEvent): void;
  writeFailed(eventName: EventName, ctx: AuditContext, err: Error): void;
}

/**
 * The error a person sees when an event that gates its action could not be written (fail closed): AUDIT_UNAVAILABLE
 * with the system's code (ENOSPC, EACCES) or the message. A FumidaiError (an unusable audit key) keeps its own line.
 */
export function auditUnavailable(err: unknown): FumidaiError {
  if (err instanceof FumidaiError) return err;
  const e = fail('AUDIT_UNAVAILABLE', (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  return Object.assign(e, { cause: err });
}

export class AuditTrail {
  #log: AuditLog;
  #logger: Logger;
  #sshdLines: ((line: string) => void) | undefined;
  /** Called on every failed write, after it is logged (the server counts them for its metrics). */
  onWriteFailure: (err: Error) => void = () => undefined;
  #observers: AuditObserver[] = [];

  constructor(log: AuditLog, logger: Logger, sshdLines?: (line: string) => void) {
    this.#log = log;
    this.#logger = logger;
    this.#sshdLines = sshdLines;
  }

  /** The fields may be left out only where the event has no required details. Rejects if it could not be written. */
  record<N extends OptionalFieldsEvent>(eventName: N, ctx: AuditContext, fields?: EventFields<N>): Promise<void>;
  record<N extends EventName>(eventName: N, ctx: AuditContext, fields: EventFields<N>): Promise<void>;
  async record(eventName: EventName, ctx: AuditContext, fields: EventFields<EventName> = {}): Promise<void> {
    const { reason, result, ...details } = fields;
    const level = result === 'failure' || EVENT_CODES[eventName].endsWith('W') ? 'warn' : 'info'; // the code says warning, not the name
    this.#logger[level]({ event: eventName, ...ctx, ...(result ? { result } : {}), ...(reason ? { reason } : {}), ...details }, eventName);
    try {
      const event = await this.#log.record({ eventName, ...ctx, ...(reason ? { reason } : {}), ...(result ? { result } : {}), ...(Object.keys(details).length ? { details } : {}) });
      const line = this.#sshdLines && sshdLine(event);
      if (line) this.#sshdLines!(line);
      this.#tell((o) => o.written(event));
    } catch (err) {
      // The trail is the evidence: failing to write it is an error for the operator to see, never silent.
      const code = (err as NodeJS.ErrnoException).code;
      logEvent(this.#logger, 'error', 'AuditWriteFailed', { failed: eventName, ...(code ? { code } : {}), err: (err as Error).message }, 'audit trail write failed');
      try {
        this.onWriteFailure(err as Error);
      } catch {
        // a failing counter must not hide the write error from the caller
      }
      this.#tell((o) => o.writeFailed(eventName, ctx, err as Error));
      throw err;
    }
  }

  /** Adds an observer: called synchronously after each write, its own errors swallowed (they cannot fail the write). */
  observe(o: AuditObserver): void {
    this.#observers.push(o);
  }

  #tell(call: (o: AuditObserver) => void): void {
    for (const o of this.#observers) {
      try {
        call(o);
      } catch {
        // an observer's bug must not turn a written event into a failed one
      }
    }
  }

  /** The chain's directory. */
  get dir(): string {
    return this.#log.dir;
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
