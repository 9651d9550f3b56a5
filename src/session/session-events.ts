// The audit events of one session, each with its audit key, user, source, and (once known) target and login filled
// in. A session event that cannot be written is logged as lost; the trail itself reports the failure.
import type { Logger } from 'pino';
import type { Caller } from '../auth/login.js';
import type { EventFields, EventName, OptionalFieldsEvent } from '../audit/events.js';
import type { AuditTrail } from '../audit/trail.js';

export class SessionEvents {
  #audit: AuditTrail;
  #auditKey: string;
  #caller: Caller;
  #about: () => { target: string; login: string } | undefined;
  #log: () => Logger;

  constructor(audit: AuditTrail, auditKey: string, caller: Caller, about: () => { target: string; login: string } | undefined, log: () => Logger) {
    this.#audit = audit;
    this.#auditKey = auditKey;
    this.#caller = caller;
    this.#about = about;
    this.#log = log;
  }

  /** Leaves an event about this session; `about` names the target and login where the session has none yet. */
  emit<N extends OptionalFieldsEvent>(name: N, fields?: EventFields<N>, about?: { target: string; login: string }): Promise<void>;
  emit<N extends EventName>(name: N, fields: EventFields<N>, about?: { target: string; login: string }): Promise<void>;
  emit(name: EventName, fields: EventFields<EventName> = {}, about?: { target: string; login: string }): Promise<void> {
    const { user, sourceIp, sourcePort } = this.#caller;
    const r = about ?? this.#about();
    return this.#audit
      .record(name as OptionalFieldsEvent, { sessionId: this.#auditKey, user, sourceIp, sourcePort, ...(r ?? {}) }, fields)
      .catch((err) => this.#log().error({ err: (err as Error).message }, 'audit event lost'));
  }
}
