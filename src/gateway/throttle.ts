// Per-source-address brute-force defence: growing delays after failures, then a temporary ban. Counted in memory per
// node, keyed by address, with the clock injected so the rules are tested without waiting; bans are also shared
// through the store (adopt), so a flood banned on one node is refused by all.

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

export class SourceThrottle {
  #rules: ThrottleRules;
  #now: () => number;
  #entries = new Map<string, Entry>();

  constructor(rules: ThrottleRules, now: () => number = Date.now) {
    this.#rules = rules;
    this.#now = now;
  }

  /** Milliseconds left of a ban, 0 when the address may try. */
  bannedFor(ip: string): number {
    const e = this.#entries.get(ip);
    return e ? Math.max(0, e.bannedUntil - this.#now()) : 0;
  }

  /** Records a failure; returns how long to hold the answer back (a flood slows down only itself). */
  failure(ip: string): { delayMs: number; banned: boolean } {
    const now = this.#now();
    const e = this.#entries.get(ip) ?? { failures: [], bannedUntil: 0 };
    e.failures = e.failures.filter((t) => now - t < this.#rules.windowSec * 1000);
    e.failures.push(now);
    this.#entries.set(ip, e);
    const n = e.failures.length;
    if (n >= this.#rules.banAfter) {
      e.bannedUntil = now + this.#rules.banSec * 1000;
      e.failures = [];
      return { delayMs: 0, banned: true };
    }
    return { delayMs: n <= 2 ? 0 : Math.min(250 * 2 ** (n - 3), 4000), banned: false };
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

  /** Drops entries with nothing to remember, so a scan of many addresses cannot grow memory for ever. */
  sweep(): void {
    const now = this.#now();
    for (const [ip, e] of this.#entries) {
      if (e.bannedUntil <= now && e.failures.every((t) => now - t >= this.#rules.windowSec * 1000)) this.#entries.delete(ip);
    }
  }
}
