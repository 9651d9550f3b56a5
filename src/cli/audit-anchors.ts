// `audit verify` against the checkpoints anchored outside the host: each chain's local (or shipped) segments must hold
// the very lines the bucket anchored, not end before the newest, and leave no gap in the anchored sequence; a chain
// the anchors know of must exist. Without a bucket it says plainly what the verdict cannot cover.
import { compareWithAnchors, missingChains } from '../audit/anchored.js';
import type { Segment } from '../audit/verify.js';
import { fail } from '../errors.js';
import type { BucketReader } from '../shipping/bucket-reader.js';

export const NOT_ANCHORED = 'not anchored outside this host: whoever can write this data directory could have cut or rewritten the trail and re-signed it (configure shipping.bucket)';

/**
 * Prints one line per problem (exit 3 material) and a summary; returns how many problems. `ours` says which anchored
 * chains must be here: a node's own two locally (a bucket may hold other nodes' chains), every one in the bucket.
 */
export async function verifyAnchors(reader: BucketReader | undefined, chains: string[], segmentsOf: (chain: string) => Segment[], ours: (chain: string) => boolean = () => true): Promise<number> {
  if (!reader) {
    console.log(NOT_ANCHORED);
    return 0;
  }
  const anchors = await reader.anchors();
  if (anchors.size === 0) {
    console.log(`not anchored outside this host: ${reader.url()}anchors/ holds no checkpoint yet`);
    return 0;
  }
  const problems = [...missingChains(chains, [...anchors.keys()].filter(ours))];
  let count = 0;
  for (const chain of chains) {
    const lines = anchors.get(chain) ?? [];
    count += lines.length;
    problems.push(...compareWithAnchors(chain, segmentsOf(chain), lines));
  }
  for (const p of problems) console.error(fail('AUDIT_TAMPERED', p).line);
  if (!problems.length) console.log(`anchors: the trail matches its ${count} checkpoints anchored in ${reader.url()}anchors/`);
  return problems.length;
}
