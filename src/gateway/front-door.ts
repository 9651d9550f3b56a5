// The TCP listener in front of ssh2. Everything that happens before ssh2 sees a byte is here: a banned address and a
// connection over the startup limits (auth.maxStartups, auth.perSourceMaxStartups) are closed at accept; an admitted
// one must send its version line within auth.versionTimeout seconds, and is cut for good if it has not
// authenticated by the login grace time after that (the login's own timer ends it politely first). Refusals are
// audited in aggregate (refusal-digest.ts), so a flood costs a few lines, not one fsync per connection.
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SourceThrottle } from '../auth/throttle.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import { Admission } from './admission.js';
import { RefusalDigest } from './refusal-digest.js';

export interface FrontDoorDeps {
  config: Pick<Config, 'auth'>;
  audit: AuditTrail;
  log: Logger;
  throttle: Pick<SourceThrottle, 'bannedFor'>;
}

/** Seconds past the login grace time after which a connection that ignores the polite end is destroyed. */
const HARD_STOP_SLACK = 5;

interface Admitted {
  timer: NodeJS.Timeout;
  release: () => void;
}

export class FrontDoor {
  readonly server: Server;
  #deps: FrontDoorDeps;
  #admission = new Admission();
  #digest = new RefusalDigest();
  #admitted = new WeakMap<Socket, Admitted>();
  #summary: NodeJS.Timeout | undefined;
  #since = Date.now();

  /** `serve`: hands an admitted socket on (to ssh2). */
  constructor(deps: FrontDoorDeps, serve: (socket: Socket) => void) {
    this.#deps = deps;
    this.server = createServer((socket) => {
      socket.on('error', () => undefined); // a reset before or after ssh2 takes the socket is nothing to report
      if (this.#admit(socket)) serve(socket);
    });
    this.#scheduleSummary();
  }

  /** Unauthenticated connections held now. */
  get unauthenticated(): number {
    return this.#admission.unauthenticated;
  }

  #admit(socket: Socket): boolean {
    const ip = socket.remoteAddress;
    if (!ip) {
      socket.destroy(); // already gone
      return false;
    }
    const auth = this.#deps.config.auth;
    const banned = this.#deps.throttle.bannedFor(ip);
    if (banned > 0) return this.#refuse(socket, ip, 'source address banned', `source address banned for ${Math.ceil(banned / 1000)}s more`);
    const verdict = this.#admission.admit(ip, auth);
    if (!verdict.ok) {
      const what = verdict.limit === 'maxStartups' ? 'too many unauthenticated connections' : 'too many unauthenticated connections from this address';
      return this.#refuse(socket, ip, `${what} (auth.${verdict.limit})`, `${what} (auth.${verdict.limit} ${auth[verdict.limit]})`);
    }
    let released = false;
    const release = () => {
      if (!released) this.#admission.release(ip);
      released = true;
    };
    const timer = setTimeout(() => this.#refuse(socket, ip, 'no version line in time', `no version line within ${auth.versionTimeout}s`), auth.versionTimeout * 1000);
    const admitted = { timer, release };
    this.#admitted.set(socket, admitted);
    socket.once('close', () => {
      clearTimeout(admitted.timer); // the version timer, or the hard stop that replaced it
      release();
    });
    return true;
  }

  /** ssh2 has the client's version line: the login's grace time runs from now (with a hard stop after it). */
  versionSeen(socket: Socket | undefined): void {
    const a = socket && this.#admitted.get(socket);
    if (!a) return;
    clearTimeout(a.timer);
    a.timer = setTimeout(() => socket.destroy(), (this.#deps.config.auth.loginGraceTime + HARD_STOP_SLACK) * 1000);
  }

  /** The client is in: it no longer counts toward the startup limits, and no timer of this door ends it. */
  authenticated(socket: Socket | undefined): void {
    const a = socket && this.#admitted.get(socket);
    if (!a) return;
    clearTimeout(a.timer);
    a.release();
  }

  /** Closes the socket; writes the refusal at once if it is the address's first in this interval, else counts it. */
  #refuse(socket: Socket, ip: string, kind: string, reason: string): false {
    socket.destroy();
    if (this.#digest.note(ip, kind)) {
      void this.#deps.audit.record('ConnectionRefused', { sourceIp: ip, sourcePort: socket.remotePort }, { reason }).catch(() => undefined);
    }
    return false;
  }

  #scheduleSummary(): void {
    this.#summary = setTimeout(() => {
      void this.flushSummary();
      this.#scheduleSummary();
    }, this.#deps.config.auth.refusalSummaryInterval * 1000);
    this.#summary.unref();
  }

  /** Writes what was counted since the last summary: one ConnectionsRefused event per address. */
  async flushSummary(): Promise<void> {
    const intervalSec = Math.round((Date.now() - this.#since) / 1000);
    this.#since = Date.now();
    const writes = this.#digest.drain().map(({ ip, count, reasons }) => {
      const reason = ip ? `${count} more connections refused` : `${count} more connections refused, from addresses beyond those tracked`;
      return this.#deps.audit.record('ConnectionsRefused', ip ? { sourceIp: ip } : {}, { reason, count, intervalSec, reasons });
    });
    const failed = (await Promise.allSettled(writes)).filter((r) => r.status === 'rejected').length;
    if (failed) this.#deps.log.warn({ failed }, 'refusal summaries could not be written');
  }

  /** Stops accepting, writes the last summary, and resolves when every connection has ended. */
  async close(): Promise<void> {
    clearTimeout(this.#summary);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.flushSummary();
    await closed;
  }
}
