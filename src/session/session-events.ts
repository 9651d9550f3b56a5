// The audit events of one session, each with its audit key, user, source, and (once known) target and login filled
// in. Two ways to leave one. `emit`: the event describes something already over or under way (SessionEnd, a
// recording sealed, a refusal); if it cannot be written it is logged as lost and the session goes on. `emitOrRefuse`:
// the event gates the action it describes (ChannelOpen, PortForward, SessionStart, FileTransfer); if it cannot be
// written the caller gets AUDIT_UNAVAILABLE and the action does not happen (fail closed: nothing happens that leaves
// no evidence). Either way the trail itself logs the failure and counts it.
import type { Logger } from 'pino';
import type { Caller } from '../auth/login.js';
import type { EventFields, EventName, OptionalFieldsEvent } from '../audit/events.js';
import { auditUnavailable, type AuditTrail } from '../audit/trail.js';

type About = { target: string; login: string };

export class SessionEvents {
  #audit: AuditTrail;
  #auditKey: string;
  #caller: Caller;
  #about: () => About | undefined;
  #log: () => Logger;

  constructor(audit: AuditTrail, auditKey: string, caller: Caller, about: () => About | undefined, log: () => Logger) {
    this.#audit = audit;
    this.#auditKey = auditKey;
    this.#caller = caller;
    this.#about = about;
    this.#log = log;
  }

  /** Leaves an event about this session; `about` names the target and login where the session has none yet. Never rejects. */
  emit<N extends OptionalFieldsEvent>(name: N, fields?: EventFields<N>, about?: About): Promise<void>;
  emit<N extends EventName>(name: N, fields: EventFields<N>, about?: About): Promise<void>;
  emit(name: EventName, fields: EventFields<EventName> = {}, about?: About): Promise<void> {
    return this.#record(name, fields, about).catch((err) => this.#log().error({ err: (err as Error).message, lost: name }, 'audit event lost'));
  }

  /** Leaves an event the action it describes waits for: rejects with AUDIT_UNAVAILABLE (a line for the user) if it cannot be written. */
  emitOrRefuse<N extends OptionalFieldsEvent>(name: N, fields?: EventFields<N>, about?: About): Promise<void>;
  emitOrRefuse<N extends EventName>(name: N, fields: EventFields<N>, about?: About): Promise<void>;
  emitOrRefuse(name: EventName, fields: EventFields<EventName> = {}, about?: About): Promise<void> {
    return this.#record(name, fields, about).catch((err) => {
      throw auditUnavailable(err);
    });
  }

  #record(name: EventName, fields: EventFields<EventName>, about: About | undefined): Promise<void> {
    const { user, sourceIp, sourcePort } = this.#caller;
    const r = about ?? this.#about();
    return this.#audit.record(name as OptionalFieldsEvent, { sessionId: this.#auditKey, user, sourceIp, sourcePort, ...(r ?? {}) }, fields);
  }
}
