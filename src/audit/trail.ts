// What the rest of fumidai calls to leave an audit event: it goes to the hash-chained trail (durable when the
// promise resolves), to the process log as a JSON line, and, for SIEMs that expect them, as classic sshd-style lines.
import type { Logger } from 'pino';
import type { AuditLog } from './audit-log.js';
import type { AuditEvent, EventFields, EventName, OptionalFieldsEvent } from './events.js';
import { sshdLine } from './sshd-lines.js';

/** Who, from where, to where: the fields an emit site knows about the event's context. */
export type AuditContext = Partial<Pick<AuditEvent, 'sessionId' | 'user' | 'sourceIp' | 'sourcePort' | 'target' | 'login'>>;

export type { EventFields } from './events.js';

export class AuditTrail {
  #log: AuditLog;
  #logger: Logger;
  #sshdLines: ((line: string) => void) | undefined;

  constructor(log: AuditLog, logger: Logger, sshdLines?: (line: string) => void) {
    this.#log = log;
    this.#logger = logger;
    this.#sshdLines = sshdLines;
  }

  /** The fields may be left out only where the event has no required details. */
  record<N extends OptionalFieldsEvent>(eventName: N, ctx: AuditContext, fields?: EventFields<N>): Promise<void>;
  record<N extends EventName>(eventName: N, ctx: AuditContext, fields: EventFields<N>): Promise<void>;
  async record(eventName: EventName, ctx: AuditContext, fields: EventFields<EventName> = {}): Promise<void> {
    const { reason, result, ...details } = fields;
    const level = result === 'failure' || /W$/.test(eventName) ? 'warn' : 'info';
    this.#logger[level]({ event: eventName, ...ctx, ...(result ? { result } : {}), ...(reason ? { reason } : {}), ...details }, eventName);
    try {
      const event = await this.#log.record({ eventName, ...ctx, ...(reason ? { reason } : {}), ...(result ? { result } : {}), ...(Object.keys(details).length ? { details } : {}) });
      const line = this.#sshdLines && sshdLine(event);
      if (line) this.#sshdLines!(line);
    } catch (err) {
      // The trail is the evidence: failing to write it is an error for the operator to see, never silent.
      this.#logger.error({ err: (err as Error).message, event: eventName }, 'audit trail write failed');
      throw err;
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
