// `audit verify` against the checkpoints anchored outside the host (the bucket's, or those a SIEM stored from the
// remote syslog): each chain's local (or shipped) segments must hold the very lines anchored, not end before the
// newest, and leave no gap in the anchored sequence; a chain the anchors know of must exist. Without anchors it says
// plainly what the verdict cannot cover.
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { compareWithAnchors, missingChains } from '../audit/anchored.js';
import type { Segment } from '../audit/verify.js';
import { fail } from '../errors.js';
import type { BucketReader } from '../shipping/bucket-reader.js';
import { readSyslogExport } from '../shipping/syslog-export.js';

export const NOT_ANCHORED = 'not anchored outside this host: whoever can write this data directory could have cut or rewritten the trail and re-signed it (configure shipping.bucket, or audit.anchors.syslog and verify with --syslog-export)';

/** Where anchored checkpoints are read from, and what reading them found wrong on the way. */
export interface AnchorSource {
  /** For messages: `s3://bucket/prefix/anchors/`, `the syslog export FILE`. */
  where: string;
  anchors(): Promise<Map<string, string[]>>;
  problems?: string[];
}

export const bucketAnchors = (reader: BucketReader): AnchorSource => ({ where: `${reader.url()}anchors/`, anchors: () => reader.anchors() });

/** The checkpoints in a SIEM's file; one that claims to be fumidai's but fails its signature is a problem. */
export function syslogAnchors(file: string, key: KeyObject): AnchorSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail('ARGUMENT_INVALID', `--syslog-export: cannot read ${file}: ${(err as Error).message}`);
  }
  const read = readSyslogExport(text, key, file);
  return { where: `the syslog export ${file}`, anchors: async () => read.anchors, problems: read.problems };
}

/**
 * Prints one line per problem (exit 3 material) and a summary; returns how many problems. `ours` says which anchored
 * chains must be here: a node's own two locally (a bucket may hold other nodes' chains), every one in the bucket.
 */
export async function verifyAnchors(source: AnchorSource | undefined, chains: string[], segmentsOf: (chain: string) => Segment[], ours: (chain: string) => boolean = () => true): Promise<number> {
  if (!source) {
    console.log(NOT_ANCHORED);
    return 0;
  }
  const anchors = await source.anchors();
  const problems = [...(source.problems ?? [])];
  if (anchors.size === 0 && !problems.length) {
    console.log(`not anchored outside this host: ${source.where} holds no checkpoint yet`);
    return 0;
  }
  problems.push(...missingChains(chains, [...anchors.keys()].filter(ours)));
  let count = 0;
  for (const chain of chains) {
    const lines = anchors.get(chain) ?? [];
    count += lines.length;
    problems.push(...compareWithAnchors(chain, segmentsOf(chain), lines));
  }
  for (const p of problems) console.error(fail('AUDIT_TAMPERED', p).line);
  if (!problems.length) console.log(`anchors: the trail matches its ${count} checkpoints anchored in ${source.where}`);
  return problems.length;
}
