// Event times in a recording must never go backwards (players sleep for the difference), so they come from the
// monotonic clock, not Date.now(), which jumps when NTP or an admin sets the time.
import { performance } from 'node:perf_hooks';

/** Milliseconds since this call, monotonic. */
export type Clock = () => number;

export function stopwatch(): Clock {
  const start = performance.now();
  return () => performance.now() - start;
}
