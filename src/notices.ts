// Every line a person sees that is not an error: warnings before a session ends, and what fumidai does instead of
// failing. Like errors.ts, one table with typed arguments, so the wording lives here and nowhere else; each line starts
// with `fumidai: ` and carries no code (nothing failed). Tests match these texts: change them with care.
import { userLine } from './errors.js';

const notices = {
  IDLE_WARNING: (secondsLeft: number) => `fumidai: no input for a while; this session ends in ${secondsLeft}s unless you type something`,
  MAX_LENGTH_WARNING: (secondsLeft: number) => `fumidai: this session reaches its maximum length in ${secondsLeft}s`,
  /** X11 was asked for and refused (the error's own line first); the session goes on without it, as OpenSSH does. */
  WITHOUT_X11: (err: unknown) => `${userLine(err)}; going on without X11`,
} as const;

export type NoticeCode = keyof typeof notices;

export const noticeCodes = Object.keys(notices) as NoticeCode[];

/** The line to show. */
export function notice<C extends NoticeCode>(code: C, ...args: Parameters<(typeof notices)[C]>): string {
  const make = notices[code] as (...a: unknown[]) => string;
  return make(...args);
}
