// The live sessions of this node, watched twice a second: idle timeout and maximum length from the session clock,
// and the live re-check whenever the store changed (a removed user or key, a revoked grant, a new policy take effect
// at once) and at least every `session.recheckInterval` seconds (a time window that closed). The re-check decides
// every action each session uses: the channels of a refused action end, and the session ends once none is left.
import type { Logger } from 'pino';
import { fail } from '../errors.js';
import { notice } from '../notices.js';
import type { AccessRequests, ChangeFeed } from '../store/store.js';
import type { Session } from './session.js';

export class LiveSessions {
  #sessions = new Set<Session>();
  #store: ChangeFeed & Partial<Pick<AccessRequests, 'claimAccessExpiry'>>;
  #log: Logger;
  #timer: NodeJS.Timeout;
  #tickMs: number;
  #lastToken = -1;
  #lastRecheck = 0;
  /** Seconds between re-checks without a change (read each tick: a config reload applies at once). */
  #recheckSec: () => number;
  #checking = false;
  #storeDown = false;
  /** Changes this process made (storeChanged), and how many of them the last full re-check had seen. */
  #localChanges = 0;
  #localSeen = 0;
  /** A change came while a tick ran: another tick follows it at once. */
  #again = false;
  /** After each re-check: the trail learns of access that ended with no session on it (auth/access-expiry.ts). */
  #sweep: ((now: Date) => Promise<unknown>) | undefined;

  constructor(store: ChangeFeed & Partial<Pick<AccessRequests, 'claimAccessExpiry'>>, log: Logger, recheckSec: () => number, intervalMs = 500, sweep?: (now: Date) => Promise<unknown>) {
    this.#store = store;
    this.#sweep = sweep;
    this.#log = log;
    this.#recheckSec = recheckSec;
    this.#tickMs = intervalMs;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  add(session: Session): void {
    this.#sessions.add(session);
  }

  delete(session: Session): void {
    this.#sessions.delete(session);
  }

  /**
   * Changes made by this process do not move the store's change token: say so, and every session is rechecked now (a
   * console admin's terminate or lock takes effect within the second, not at the next tick or the next interval). A
   * change told while a tick runs is not lost: it is counted, and a tick follows.
   */
  storeChanged(): void {
    this.#localChanges++;
    if (this.#checking) this.#again = true;
    else void this.tick();
  }

  get size(): number {
    return this.#sessions.size;
  }

  async tick(now = Date.now()): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    const local = this.#localChanges;
    try {
      for (const session of this.#sessions) if (clockRuns(session)) this.#checkClock(session, now);
      const token = await this.#store.changeToken();
      // Due when waiting for the next tick would stretch the gap past the interval: the interval is an upper bound.
      const due = now - this.#lastRecheck + this.#tickMs > this.#recheckSec() * 1000;
      if (token !== this.#lastToken || local !== this.#localSeen || due) {
        await this.#recheckAll();
        // After the sessions: an access a live session relied on gets its event from that session, with its context.
        await this.#sweep?.(new Date(now)).catch((err: unknown) => this.#log.error({ err }, 'access expiry sweep failed; tried again at the next re-check'));
        // Only once every session was asked: a store that failed half-way is asked again at the next tick.
        this.#lastToken = token;
        this.#localSeen = local;
        this.#lastRecheck = now;
      }
      if (this.#storeDown) this.#log.info('live session check: the store answers again');
      this.#storeDown = false;
    } catch (err) {
      // Once, not every tick: an outage would otherwise write two stack traces a second.
      if (!this.#storeDown) this.#log.error({ err }, 'live session check failed; retried quietly until the store answers');
      this.#storeDown = true;
    } finally {
      this.#checking = false;
      if (this.#again) {
        this.#again = false;
        void this.tick();
      }
    }
  }

  #checkClock(session: Session, now: number): void {
    const verdict = session.clock.check(now);
    if (verdict.kind === 'warn') {
      session.clock.state.warned[verdict.limit] = true;
      session.channels.notify(
        verdict.limit === 'idle'
          ? notice('IDLE_WARNING', verdict.secondsLeft)
          : notice('MAX_LENGTH_WARNING', verdict.secondsLeft),
      );
    } else if (verdict.kind === 'end') {
      const event = verdict.limit === 'idle' ? 'IdleTimeout' : 'MaxSessionLength';
      void session.events.emit(event, { reason: verdict.reason });
      session.terminate(fail(verdict.limit === 'idle' ? 'IDLE_TIMEOUT' : 'SESSION_TOO_LONG', verdict.reason).line, verdict.reason);
      this.#sessions.delete(session);
    }
  }

  async #recheckAll(): Promise<void> {
    for (const session of [...this.#sessions]) {
      const found = await session.recheck();
      if (found.end !== undefined) {
        const reason = found.end;
        const ran = found.expired;
        // Written once per request, by whichever session (of any node) saw it end first.
        if (ran && (await this.#store.claimAccessExpiry?.(ran.id)))
          void session.events.emit('AccessExpired', { requestId: ran.id, target: ran.target, login: ran.login, grantedUntil: ran.until, reason: `access request #${ran.id} ended at ${ran.until}` });
        void session.events.emit('SessionRevoked', { reason });
        session.terminate(fail('ACCESS_REVOKED', reason).line, `access revoked: ${reason}`);
        this.#sessions.delete(session);
        continue;
      }
      for (const [action, reason] of found.revoked) {
        const channels = session.channels.endAction(action, fail('ACCESS_REVOKED', reason, action).line);
        if (channels) void session.events.emit('ChannelRevoked', { action, channels, reason });
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/**
 * Whether a session's clocks run: it has a channel, or reached a target (`ssh -N -L` may hold no channel for a
 * while). A ProxyJump carrier has neither: its inner session does.
 */
function clockRuns(session: Session): boolean {
  return session.channels.count > 0 || session.access.resolved !== undefined;
}
