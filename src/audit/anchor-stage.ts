// Where a checkpoint waits to leave the host: one small file per checkpoint line, `<anchors>/<chain>/<seq>.json`,
// written by whoever signs it (the server, or a short-lived CLI command for the admin chain) and sent to the bucket by
// the server's anchoring (src/shipping/anchors.ts), which also takes up files a CLI command left.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The staging directory's name under the data directory. */
export const ANCHOR_DIR = 'anchors';

export const stagedName = (seq: number) => `${String(seq).padStart(12, '0')}.json`;

/** Writes a checkpoint line to its staging file; returns the path. */
export function stageCheckpoint(anchorDir: string, chain: string, seq: number, line: string): string {
  const dir = join(anchorDir, chain);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, stagedName(seq));
  writeFileSync(path, `${line}\n`, { mode: 0o600 });
  return path;
}
