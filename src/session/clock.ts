// Idle timeout and maximum session length: the rule is a pure function of the clock (checkClock), tested without
// waiting; SessionClock holds one session's clock and limits.

export interface SessionLimits {
  idleTimeoutSec: number; // 0 = none
  maxLengthSec: number; // 0 = none
  warningSec: number;
}

export interface ClockState {
  startedAt: number;
  lastInputAt: number;
  warned: { idle: boolean; length: boolean };
}

export type ClockVerdict =
  | { kind: 'ok' }
  | { kind: 'warn'; limit: 'idle' | 'length'; secondsLeft: number }
  | { kind: 'end'; limit: 'idle' | 'length'; reason: string };

export function checkClock(state: ClockState, limits: SessionLimits, now: number): ClockVerdict {
  const idle = (now - state.lastInputAt) / 1000;
  const age = (now - state.startedAt) / 1000;
  if (limits.maxLengthSec > 0 && age >= limits.maxLengthSec)
    return { kind: 'end', limit: 'length', reason: `session reached its maximum length of ${limits.maxLengthSec}s` };
  if (limits.idleTimeoutSec > 0 && idle >= limits.idleTimeoutSec)
    return { kind: 'end', limit: 'idle', reason: `no input for ${limits.idleTimeoutSec}s` };
  if (limits.maxLengthSec > 0 && !state.warned.length && age >= limits.maxLengthSec - limits.warningSec)
    return { kind: 'warn', limit: 'length', secondsLeft: Math.ceil(limits.maxLengthSec - age) };
  if (limits.idleTimeoutSec > 0 && !state.warned.idle && idle >= limits.idleTimeoutSec - limits.warningSec)
    return { kind: 'warn', limit: 'idle', secondsLeft: Math.ceil(limits.idleTimeoutSec - idle) };
  return { kind: 'ok' };
}

/** A session's clock and limits: activity resets the idle clock; a rule may only tighten the limits. */
export class SessionClock {
  readonly state: ClockState;
  readonly limits: SessionLimits;

  constructor(limits: SessionLimits, now = Date.now()) {
    this.state = { startedAt: now, lastInputAt: now, warned: { idle: false, length: false } };
    this.limits = { ...limits };
  }

  /** Client activity: resets the idle clock (and re-arms its warning). */
  touch(): void {
    this.state.lastInputAt = Date.now();
    this.state.warned.idle = false;
  }

  /** The tightest limits win: the node's configuration, or a stricter rule (0 in the configuration means none). */
  tighten(rule: { idleTimeoutSec?: number; maxSessionSec?: number }): void {
    const tighter = (configured: number, ruled: number | undefined) => (ruled === undefined ? configured : configured > 0 ? Math.min(configured, ruled) : ruled);
    this.limits.idleTimeoutSec = tighter(this.limits.idleTimeoutSec, rule.idleTimeoutSec);
    this.limits.maxLengthSec = tighter(this.limits.maxLengthSec, rule.maxSessionSec);
  }

  /** What the clock says now: go on, warn, or end. */
  check(now = Date.now()): ClockVerdict {
    return checkClock(this.state, this.limits, now);
  }
}
