// What an insider does to a trail on disk: edit its lines, and (holding the key) recompute every link and re-sign.
import { readFileSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { GENESIS, isV2, keyFingerprint, lineHash, signCheckpointBody, type Checkpoint } from '../../src/audit/chain.js';
import { readSegments } from '../../src/audit/verify.js';

export function editLines(file: string, edit: (lines: string[]) => string[]): void {
  writeFileSync(file, edit(readFileSync(file, 'utf8').split('\n').filter(Boolean)).join('\n') + '\n');
}

/** What an insider with the key does after an edit: every link and every checkpoint recomputed and re-signed. */
export function rechain(dir: string, key: KeyObject): void {
  let prev = GENESIS;
  let prevCheckpoint = GENESIS;
  for (const segment of readSegments(dir)) {
    const lines = segment.text.split('\n').filter(Boolean).map((text, i) => {
      const line = JSON.parse(text) as { prev: string; checkpoint?: Checkpoint };
      line.prev = prev;
      if (line.checkpoint && isV2(line.checkpoint)) {
        const { signature: _, ...body } = line.checkpoint;
        line.checkpoint = signCheckpointBody(key, { ...body, lines: i, last: prev, prevCheckpoint, keyFingerprint: keyFingerprint(key) });
      }
      const out = JSON.stringify(line);
      prev = lineHash(out);
      if (line.checkpoint) prevCheckpoint = prev;
      return out;
    });
    writeFileSync(join(dir, segment.name), lines.join('\n') + '\n');
  }
}
