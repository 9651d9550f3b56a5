// Console sessions, kept in the store so that every node knows them and a restart keeps them: the cookie holds a
// random 32-byte id, the store only its SHA-256 (a copy of the store opens no session). Idle ones expire; a login half
// done (password right, second factor to come) is its own short-lived entry, never a session.
import { createHash, randomBytes } from 'node:crypto';
import type { ConsoleVia } from '../store/web-identity.js';
import type { WebIdentity, WebRole } from '../store/store.js';

export interface ConsoleSession {
  name: string;
  role: WebRole;
  lastSeen: number;
  /** Absent for an API token. 'sso': a user of the IdP, with no console account (name: the IdP's user claim). */
  via?: ConsoleVia;
}

export const PENDING_MS = 5 * 60_000;

export const idHash = (id: string): string => createHash('sha256').update(id).digest('hex');
const newId = () => randomBytes(32).toString('base64url');
/** Cookie values are ours (43 base64url characters); anything else is not looked up. */
const wellFormed = (id: string | undefined): id is string => !!id && /^[A-Za-z0-9_-]{43}$/.test(id);

type Backing = Pick<
  WebIdentity,
  'openConsoleSession' | 'touchConsoleSession' | 'closeConsoleSession' | 'sweepConsoleSessions' | 'putWebPending' | 'takeWebPending'
>;

export class ConsoleSessions {
  #store: Backing;
  #idleMs: () => number;
  #now: () => number;

  constructor(store: Backing, idleMs: () => number, now: () => number = Date.now) {
    this.#store = store;
    this.#idleMs = idleMs;
    this.#now = now;
  }

  async open(name: string, role: WebRole, via: ConsoleVia = 'password'): Promise<string> {
    const id = newId();
    await this.#store.openConsoleSession(idHash(id), name, role, this.#now(), via);
    return id;
  }

  /** The session of a cookie, its idle clock reset; undefined if unknown or idle too long (then forgotten). */
  async touch(id: string | undefined): Promise<ConsoleSession | undefined> {
    return wellFormed(id) ? this.#store.touchConsoleSession(idHash(id), this.#now(), this.#idleMs()) : undefined;
  }

  async close(id: string | undefined): Promise<void> {
    if (wellFormed(id)) await this.#store.closeConsoleSession(idHash(id));
  }

  /** A step to finish within five minutes (the second factor after a right password); `challenge`: WebAuthn's. */
  async openPending(name: string, challenge = ''): Promise<string> {
    const id = newId();
    await this.#store.putWebPending(idHash(id), { name, challenge, at: this.#now() });
    return id;
  }

  /** Takes a pending step (once, on any node: a second try needs a new password). */
  async takePending(id: string | undefined): Promise<{ name: string; challenge: string } | undefined> {
    const p = wellFormed(id) ? await this.#store.takeWebPending(idHash(id)) : undefined;
    return p && this.#now() - p.at <= PENDING_MS ? { name: p.name, challenge: p.challenge } : undefined;
  }

  /** A step bound to an open session (a key being registered): its key derives from the session's cookie. */
  async putSessionStep(sessionId: string, name: string, challenge: string): Promise<void> {
    await this.#store.putWebPending(idHash(`step:${sessionId}`), { name, challenge, at: this.#now() });
  }

  async takeSessionStep(sessionId: string): Promise<{ name: string; challenge: string } | undefined> {
    return this.takePendingKey(idHash(`step:${sessionId}`));
  }

  async takePendingKey(key: string): Promise<{ name: string; challenge: string } | undefined> {
    const p = await this.#store.takeWebPending(key);
    return p && this.#now() - p.at <= PENDING_MS ? { name: p.name, challenge: p.challenge } : undefined;
  }

  /** Drops expired entries; called now and then so that abandoned ones do not pile up. */
  async sweep(): Promise<void> {
    const now = this.#now();
    await this.#store.sweepConsoleSessions(now - this.#idleMs(), now - PENDING_MS);
  }
}
