// Where a checkpoint waits to leave the host: one small file per checkpoint line, `<anchors>/<chain>/<seq>.json`,
// written by whoever signs it (the server, or a short-lived CLI command for the admin chain) and sent by each of the
// server's anchors (src/shipping/anchors.ts to the bucket, syslog-anchor.ts to a remote syslog), which also take up
// files a CLI command left. Every anchor keeps its own account of what it has sent; a staged file goes only once all
// of them have sent it, and ten minutes later (pruneStaged in src/shipping/anchor.ts).
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
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

export interface Staged {
  chain: string;
  seq: number;
  path: string;
}

/** Every staged checkpoint, chain by chain, oldest first (`after`: only those past a chain's given seq). */
export function listStaged(anchorDir: string, after: (chain: string) => number = () => 0): Staged[] {
  if (!existsSync(anchorDir)) return [];
  const out: Staged[] = [];
  for (const chain of readdirSync(anchorDir).sort()) {
    const dir = join(anchorDir, chain);
    if (!statSync(dir).isDirectory()) continue;
    const from = after(chain);
    for (const file of readdirSync(dir).filter((f) => /^\d{12}\.json$/.test(f)).sort()) {
      const seq = Number(file.slice(0, 12));
      if (seq > from) out.push({ chain, seq, path: join(dir, file) });
    }
  }
  return out;
}
