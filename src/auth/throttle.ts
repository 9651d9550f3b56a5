// Per-source-address brute-force defence: growing delays after failures, then a temporary ban. The rule is a pure
// function (countFailure) with the clock injected, tested without waiting. The failures are counted in memory, or, given
// a SharedFailures (the store in `serve`), across every node: a flood spread over the nodes behind a load balancer is
// banned after banAfter failures in all, not banAfter per node. Bans are also shared through the store (adopt), so a
// flood banned on one node is refused by all.

export interface ThrottleRules {
  /** Failures inside the window after which the address is banned. */
  banAfter: number;
  windowSec: number;
  banSec: number;
}

interface Entry {
  failures: number[];
  bannedUntil: number;
}

export interface FailureVerdict {
  delayMs: number;
  banned: boolean;
}

/** The rule: an address's failure times after one more at `now`, and what to do about it. A ban starts a fresh count. */
export function countFailure(failures: number[], now: number, rules: ThrottleRules): { failures: number[]; result: FailureVerdict } {
  const recent = [...failures.filter((t) => now - t < rules.windowSec * 1000), now];
  const n = recent.length;
  if (n >= rules.banAfter) return { failures: [], result: { delayMs: 0, banned: true } };
  return { failures: recent, result: { delayMs: n <= 2 ? 0 : Math.min(250 * 2 ** (n - 3), 4000), banned: false } };
}

/** Failure times per address kept where every node sees them (the store), changed atomically. */
export interface SharedFailures {
  updateSourceFailures<T>(ip: string, update: (failures: number[]) => { failures: number[]; result: T }): Promise<T>;
  /** Forgets addresses whose last failure is before `before` (ms since the epoch). */
  sweepSourceFailures(before: number): Promise<number>;
}

export class SourceThrottle {
  #rules: ThrottleRules;
  #now: () => number;
  #entries = new Map<string, Entry>();
  #shared: SharedFailures | undefined;

  constructor(rules: ThrottleRules, now: () => number = Date.now, shared?: SharedFailures) {
    this.#rules = rules;
    this.#now = now;
    this.#shared = shared;
  }

  /** Milliseconds left of a ban, 0 when the address may try. */
  bannedFor(ip: string): number {
    const e = this.#entries.get(ip);
    return e ? Math.max(0, e.bannedUntil - this.#now()) : 0;
  }

  /** Records a failure; returns how long to hold the answer back (a flood slows down only itself). */
  async failure(ip: string): Promise<FailureVerdict> {
    const now = this.#now();
    const e = this.#entries.get(ip) ?? { failures: [], bannedUntil: 0 };
    this.#entries.set(ip, e);
    let verdict: FailureVerdict;
    if (this.#shared) verdict = await this.#shared.updateSourceFailures(ip, (failures) => countFailure(failures, now, this.#rules));
    else ({ failures: e.failures, result: verdict } = countFailure(e.failures, now, this.#rules));
    if (verdict.banned) e.bannedUntil = now + this.#rules.banSec * 1000;
    return verdict;
  }

  /** Takes in bans made elsewhere (another node, through the shared store); a longer local ban stays. */
  adopt(bans: { ip: string; until: string }[]): void {
    for (const b of bans) {
      const until = Date.parse(b.until);
      const e = this.#entries.get(b.ip) ?? { failures: [], bannedUntil: 0 };
      if (until > e.bannedUntil) e.bannedUntil = until;
      this.#entries.set(b.ip, e);
    }
  }

  /** Drops entries with nothing to remember, so a scan of many addresses cannot grow memory (or the store) for ever. */
  async sweep(): Promise<void> {
    const now = this.#now();
    await this.#shared?.sweepSourceFailures(now - this.#rules.windowSec * 1000);
    for (const [ip, e] of this.#entries) {
      if (e.bannedUntil <= now && e.failures.every((t) => now - t >= this.#rules.windowSec * 1000)) this.#entries.delete(ip);
    }
  }
}
