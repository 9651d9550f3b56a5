// Console sessions, kept on the server: the cookie holds a random 32-byte id and nothing else. Idle ones expire; a
// login half done (password right, code still to come) is its own short-lived entry, never a session.
import { randomBytes } from 'node:crypto';
import type { WebRole } from '../store/store.js';

export interface ConsoleSession {
  name: string;
  role: WebRole;
  lastSeen: number;
}

const PENDING_MS = 5 * 60_000;

export class ConsoleSessions {
  #sessions = new Map<string, ConsoleSession>();
  #pending = new Map<string, { name: string; at: number }>();
  #idleMs: () => number;
  #now: () => number;

  constructor(idleMs: () => number, now: () => number = Date.now) {
    this.#idleMs = idleMs;
    this.#now = now;
  }

  open(name: string, role: WebRole): string {
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { name, role, lastSeen: this.#now() });
    return id;
  }

  /** The session of a cookie, its idle clock reset; undefined if unknown or idle too long (then forgotten). */
  touch(id: string | undefined): ConsoleSession | undefined {
    const s = id ? this.#sessions.get(id) : undefined;
    if (!s) return undefined;
    if (this.#now() - s.lastSeen > this.#idleMs()) {
      this.#sessions.delete(id!);
      return undefined;
    }
    s.lastSeen = this.#now();
    return s;
  }

  close(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  /** A login whose password was right; the code step must come within five minutes. */
  openPending(name: string): string {
    const id = randomBytes(32).toString('base64url');
    this.#pending.set(id, { name, at: this.#now() });
    return id;
  }

  /** Takes a pending login (once: a second code needs a new password). */
  takePending(id: string | undefined): string | undefined {
    const p = id ? this.#pending.get(id) : undefined;
    if (!p) return undefined;
    this.#pending.delete(id!);
    return this.#now() - p.at <= PENDING_MS ? p.name : undefined;
  }

  /** Drops expired entries; called now and then so that abandoned ones do not pile up. */
  sweep(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (now - s.lastSeen > this.#idleMs()) this.#sessions.delete(id);
    for (const [id, p] of this.#pending) if (now - p.at > PENDING_MS) this.#pending.delete(id);
  }
}
