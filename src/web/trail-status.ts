// What the audit page says of the trail as a whole: the verification `fumidai audit verify` does (every chain's links
// and checkpoint signatures), run when asked and kept with its time and duration (it reads the whole trail: not at
// every page view; on a worker thread, as the relay shares this one), and the newest checkpoint each chain has anchored in the bucket.
import { describeVerdict, type ChainVerdict } from '../audit/verify-all.js';
import type { SpoolItem } from '../store/store.js';

export interface TrailVerdict {
  at: string;
  ms: number;
  intact: boolean;
  /** One line per chain, as `audit verify` prints them. */
  lines: string[];
}

export class TrailCheck {
  #run: () => Promise<ChainVerdict[]>;
  #last: TrailVerdict | undefined;

  constructor(run: () => Promise<ChainVerdict[]>) {
    this.#run = run;
  }

  get last(): TrailVerdict | undefined {
    return this.#last;
  }

  /** Verifies now; `verdicts` also for the report, which shows the same lines. */
  async verify(): Promise<TrailVerdict & { verdicts: ChainVerdict[] }> {
    const t0 = performance.now();
    const verdicts = await this.#run();
    this.#last = {
      at: new Date().toISOString(),
      ms: Math.round(performance.now() - t0),
      intact: verdicts.every((v) => v.verdict.ok),
      lines: verdicts.length ? verdicts.map((v) => describeVerdict(v.chain, v.verdict)) : ['no audit trail yet'],
    };
    return { ...this.#last, verdicts };
  }
}

export interface Anchored {
  chain: string;
  seq: number;
  shippedAt: string;
  objectKey: string;
}

/** Per chain, the newest checkpoint the bucket holds (from the spool's account of what went up), newest chain first. */
export function newestAnchored(items: Pick<SpoolItem, 'kind' | 'state' | 'objectKey' | 'shippedAt'>[]): Anchored[] {
  const newest = new Map<string, Anchored>();
  for (const i of items) {
    if (i.kind !== 'anchor' || i.state !== 'shipped') continue;
    const m = /([^/]+)\/(\d+)\.json$/.exec(i.objectKey);
    if (!m) continue;
    const a = { chain: m[1]!, seq: Number(m[2]), shippedAt: i.shippedAt ?? '', objectKey: i.objectKey };
    if ((newest.get(a.chain)?.seq ?? -1) < a.seq) newest.set(a.chain, a);
  }
  return [...newest.values()].sort((a, b) => (a.shippedAt < b.shippedAt ? 1 : -1));
}
