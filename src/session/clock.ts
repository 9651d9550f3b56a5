// Idle timeout and maximum session length as a pure function of the clock, so both rules are tested without waiting.

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
