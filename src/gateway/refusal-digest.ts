// Refusals at the front door are audited in aggregate: a flood from a banned address must not cost one fsynced line
// per connection. The first refusal of an address in an interval is written at once (an operator sees the flood
// start); the later ones are counted, and written as one summary per address when the interval ends. Pure: the front
// door writes what this decides.

export interface RefusalSummary {
  /** Absent for the addresses beyond those tracked, counted together. */
  ip?: string;
  count: number;
  reasons: Record<string, number>;
}

export interface DigestLimits {
  /** Refusals written at once per interval, whatever the number of addresses; the rest are counted. */
  immediate: number;
  /** Addresses tracked per interval; refusals from more are counted together, so memory stays bounded. */
  addresses: number;
}

const OTHERS = '';

interface Counted {
  count: number;
  reasons: Record<string, number>;
}

function count(entry: Counted, kind: string): false {
  entry.count++;
  entry.reasons[kind] = (entry.reasons[kind] ?? 0) + 1;
  return false;
}

export class RefusalDigest {
  #limits: DigestLimits;
  #seen = new Map<string, Counted>();
  #immediate = 0;

  constructor(limits: DigestLimits = { immediate: 100, addresses: 10_000 }) {
    this.#limits = limits;
  }

  /** Notes a refusal of `ip` for `kind` (a fixed label); true when it is to be written at once. */
  note(ip: string, kind: string): boolean {
    const entry = this.#seen.get(ip);
    if (entry) return count(entry, kind);
    if (this.#seen.size >= this.#limits.addresses) return count(this.#others(), kind);
    const fresh = { count: 0, reasons: {} };
    this.#seen.set(ip, fresh);
    if (this.#immediate >= this.#limits.immediate) return count(fresh, kind);
    this.#immediate++;
    return true;
  }

  #others(): Counted {
    let e = this.#seen.get(OTHERS);
    if (!e) this.#seen.set(OTHERS, (e = { count: 0, reasons: {} })); // may go one past the address limit
    return e;
  }

  /** What was counted and not written since the last drain, per address; a new interval begins. */
  drain(): RefusalSummary[] {
    const out: RefusalSummary[] = [];
    for (const [ip, e] of this.#seen) if (e.count > 0) out.push({ ...(ip === OTHERS ? {} : { ip }), count: e.count, reasons: e.reasons });
    this.#seen.clear();
    this.#immediate = 0;
    return out;
  }
}
