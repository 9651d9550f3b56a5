// One client connection on its way to one target. A session is made of parts, each with one job: its access
// (destination, every channel's decision, the live re-check), its upstream link, its channels toward the client, its
// clock and limits, its recordings and its audit events. The session itself holds them together, keeps the session
// index up to date, and can be ended from outside (idle timeout, maximum length, revocation) with a message; the
// channels of one revoked action end alone (SessionChannels.endAction).
import type { Connection } from 'ssh2';
import type { Logger } from 'pino';
import type { Caller } from '../auth/login.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import type { Access } from '../policy/access.js';
import type { IndexWrites } from '../store/index-writes.js';
import type { Certificates, Directory, SessionIndex } from '../store/store.js';
import { newAuditKey } from './audit-key.js';
import { SessionChannels } from './channels.js';
import { SessionClock } from './clock.js';
import type { Destination } from './destination.js';
import { SessionRecorder, type RecorderDeps } from './recorder.js';
import { SessionAccess, type IdpRecheck, type Recheck } from './session-access.js';
import { SessionEvents } from './session-events.js';
import { UpstreamLink, type UpstreamDeps } from './upstream-link.js';

/** What every session of this node uses, built once by the composition root. */
export interface SessionDeps {
  log: Logger;
  audit: AuditTrail;
  access: Access;
  dir: Pick<Directory, 'getTarget' | 'findKey' | 'pinHostKey'> & Pick<Certificates, 'certRevocation'>;
  index: RecorderDeps['index'] & Pick<SessionIndex, 'openSession' | 'closeSession' | 'getSession'>;
  indexWrites: IndexWrites;
  config: Pick<Config, 'session' | 'upstream' | 'recording'>;
  upstreamKey: Buffer;
  /** Signs a per-session certificate of the upstream key (targets set with --cert-login). */
  upstreamCert?: UpstreamDeps['upstreamCert'];
  recordingDir: string;
  screenIndex: RecorderDeps['screenIndex'];
  live?: RecorderDeps['live'];
  /** The IdP of single sign-on logins, asked again by the live re-check (deprovisioning). */
  idp?: IdpRecheck;
}

export class Session {
  readonly auditKey: string;
  readonly caller: Caller;
  readonly clock: SessionClock;
  readonly access: SessionAccess;
  readonly link: UpstreamLink;
  readonly channels: SessionChannels;
  readonly recordings: SessionRecorder;
  /** Its audit events, with audit key, user, source, target and login filled in: `emit`, or `emitOrRefuse` where the event gates its action. */
  readonly events: SessionEvents;
  #deps: SessionDeps;
  #indexed = false;
  #closed = false;

  constructor(deps: SessionDeps, client: Connection, caller: Caller, destination: Destination) {
    this.#deps = deps;
    this.caller = caller;
    this.auditKey = newAuditKey(caller.user);
    const s = deps.config.session;
    this.clock = new SessionClock({ idleTimeoutSec: s.idleTimeout, maxLengthSec: s.maxLength, warningSec: s.warning });
    const log = () => this.log;
    this.access = new SessionAccess(deps.access, deps.dir, caller, destination, {
      denied: (d, action, about) => this.events.emit('PolicyDenied', { reason: d.reason, action, ...(d.rule ? { rule: d.rule } : {}) }, about),
      allowed: (limits) => this.clock.tighten(limits),
    }, deps.idp);
    const about = () => this.access.resolved && { target: this.access.resolved.target.name, login: this.access.resolved.login };
    this.events = new SessionEvents(deps.audit, this.auditKey, caller, about, log);
    this.channels = new SessionChannels(client);
    const recorder: RecorderDeps = { index: deps.index, settings: deps.config.recording, recordingDir: deps.recordingDir, indexWrites: deps.indexWrites, screenIndex: deps.screenIndex, live: deps.live };
    this.recordings = new SessionRecorder(recorder, this.auditKey, caller.user, this.events, log);
    const upstream: UpstreamDeps = { upstreamKey: deps.upstreamKey, upstreamCert: deps.upstreamCert, settings: deps.config.upstream, dir: deps.dir, index: deps.index };
    this.link = new UpstreamLink(upstream, {
      auditKey: this.auditKey, caller, startedAt: this.clock.state.startedAt, client, access: this.access, events: this.events,
      get log() { return log(); },
      indexed: () => void (this.#indexed = true),
      close: (reason) => this.close(reason),
    });
  }

  get log(): Logger {
    return this.#deps.log.child({ auditKey: this.auditKey, user: this.caller.user });
  }

  /** Whether this session may go on (not ended by an administrator, and access still holds), and which of its actions. */
  async recheck(): Promise<Recheck> {
    if (this.#indexed) {
      const kill = (await this.#deps.index.getSession(this.auditKey))?.terminationRequested;
      if (kill) return { end: `an administrator ended this session: ${kill}` };
    }
    return this.access.recheck(this.channels.actions());
  }

  /** Ends the session from outside with a message to the user. */
  terminate(line: string, reason: string): void {
    if (this.#closed) return;
    const ended = this.channels.endAll(line);
    void this.close(reason);
    // The message and exit status leave first; then the connection goes, whatever the client does.
    void ended.then(() => setTimeout(() => this.channels.client.end(), 100).unref());
  }

  async close(reason?: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.link.end();
    if (!this.#indexed) return;
    const exitStatus = this.channels.exitStatus;
    const { in: bytesIn, out: bytesOut } = this.recordings.bytes;
    const durationSec = (Date.now() - this.clock.state.startedAt) / 1000;
    await this.events.emit('SessionEnd', { reason, exitStatus, durationSec, bytesIn, bytesOut });
    const end = { endedAt: new Date().toISOString(), exitStatus, reason, bytesIn, bytesOut };
    await this.#deps.indexWrites.write(`end of session ${this.auditKey}`, () => this.#deps.index.closeSession(this.auditKey, end));
  }
}
