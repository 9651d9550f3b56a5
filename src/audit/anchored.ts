// The local trail against the checkpoints anchored outside the host. Pure over text: what the bucket (or another
// anchor) holds for a chain, and the chain's local segments, in; one line per problem out. Each anchored checkpoint is
// a line of the chain as it was written: the local trail must hold the very same line at its sequence number, and
// must not end before the newest one; anchored checkpoints name their predecessor, so a gap between two is visible.
import { lineHash } from './chain.js';
import type { Checkpoint } from './chain.js';
import type { Segment } from './verify.js';

interface Line {
  seq: number;
  hash: string;
  checkpoint?: Checkpoint;
}

function lineOf(text: string): Line | undefined {
  try {
    const r = JSON.parse(text) as { seq?: unknown; checkpoint?: Checkpoint };
    return typeof r.seq === 'number' ? { seq: r.seq, hash: lineHash(text), ...(r.checkpoint ? { checkpoint: r.checkpoint } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Problems of one chain: its local segments against its anchored checkpoint lines (any order). */
export function compareWithAnchors(chain: string, segments: Segment[], anchoredLines: string[]): string[] {
  const local = new Map<number, string>();
  let head = 0;
  for (const seg of segments) {
    for (const text of seg.text.split('\n')) {
      const l = text && lineOf(text);
      if (!l) continue;
      local.set(l.seq, l.hash);
      head = Math.max(head, l.seq);
    }
  }
  const anchors = anchoredLines.map(lineOf).filter((l): l is Line => l?.checkpoint !== undefined).sort((a, b) => a.seq - b.seq);
  if (anchoredLines.length && !anchors.length) return [`${chain}: the anchored checkpoints cannot be read`];
  const problems: string[] = [];
  const newest = anchors.at(-1);
  if (newest && head < newest.seq)
    problems.push(`${chain}: the local trail ends at seq ${head}, behind the newest anchored checkpoint (seq ${newest.seq}, ${newest.checkpoint!.at}): events were cut`);
  for (const [i, a] of anchors.entries()) {
    const mine = local.get(a.seq);
    if (mine !== undefined && mine !== a.hash)
      problems.push(`${chain}: the anchored checkpoint at seq ${a.seq} (${a.checkpoint!.at}) does not match the local line ${a.seq}: the lines it covers were rewritten`);
    const before = anchors[i - 1];
    if (before && a.checkpoint!.prevCheckpoint !== before.hash)
      problems.push(`${chain}: a checkpoint between seq ${before.seq} and ${a.seq} is missing from the anchored sequence`);
  }
  return problems;
}

/** Chains the anchors know of that the local trail does not have at all. */
export function missingChains(local: string[], anchored: string[]): string[] {
  const have = new Set(local);
  return anchored.filter((c) => !have.has(c)).map((c) => `${c}: the whole chain is missing here, though its checkpoints are anchored`);
}
