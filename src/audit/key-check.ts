// Refuses a signing key that did not sign the trail it is about to extend: a key deleted and made anew (or swapped)
// would otherwise sign on as if nothing happened. Only the newest checkpoint is read, so the check stays cheap;
// `audit verify` is what checks every line.
import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../errors.js';
import { verifyCheckpoint } from './chain.js';
import { keyFingerprint, sameFingerprint } from './keys.js';

interface CheckpointLine {
  keyFingerprint?: string;
  checkpoint?: { segment: string; lines: number; last: string; signature: string; keyFingerprint?: string };
}

export interface NewestCheckpoint {
  /** `<chain>/<segment> line N`, for messages. */
  where: string;
  line: CheckpointLine;
}

/** The last line with a `checkpoint` field in a chain directory's segments, newest segment first; none in an empty trail. */
export function newestCheckpoint(chainDir: string): NewestCheckpoint | undefined {
  if (!existsSync(chainDir)) return undefined;
  const segments = readdirSync(chainDir).filter((f) => f.endsWith('.jsonl')).sort().reverse();
  for (const segment of segments) {
    const lines = readFileSync(join(chainDir, segment), 'utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!lines[i]!.includes('"checkpoint"')) continue;
      let line: CheckpointLine;
      try {
        line = JSON.parse(lines[i]!) as CheckpointLine;
      } catch {
        continue; // a torn or edited line is for `audit verify` to name
      }
      if (line.checkpoint) return { where: `${basename(chainDir)}/${segment} line ${i + 1}`, line };
    }
  }
  return undefined;
}

/** Whether `key` signed this checkpoint: by its recorded fingerprint (newer format), else by its signature. */
export function signedBy(line: CheckpointLine, key: KeyObject): boolean {
  const recorded = line.checkpoint?.keyFingerprint ?? line.keyFingerprint;
  if (recorded) return sameFingerprint(recorded.startsWith('SHA256:') ? recorded : `SHA256:${recorded}`, keyFingerprint(key));
  const c = line.checkpoint!;
  return verifyCheckpoint(key, c.segment, c.lines, c.last, c.signature);
}

/** Throws AUDIT_KEY_CHANGED unless `key` (loaded from `keyFile`) signed each chain's newest checkpoint. */
export function assertKeySignedTrail(chainDirs: string[], key: KeyObject, keyFile: string): void {
  for (const dir of chainDirs) {
    const newest = newestCheckpoint(dir);
    if (newest && !signedBy(newest.line, key)) throw fail('AUDIT_KEY_CHANGED', keyFile, keyFingerprint(key), newest.where);
  }
}
