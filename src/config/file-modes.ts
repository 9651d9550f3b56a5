// Who may read the data directory: its owner only. Keys, the store, recordings and the audit trail are all in it, so
// directories are 0700 and files 0600. The process runs with umask 077 (cli/main.ts) and files are created with those
// modes; at start `serve` tightens whatever a person, a restore or an older version left wider, saying so once per fix.
import { chmodSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export interface ModeFix {
  path: string;
  /** The permission bits found (e.g. 0o755) and what they became. */
  from: number;
  to: number;
  /** Set when chmod failed (a file owned by another user): left as it was. */
  error?: string;
}

/** The mode an entry should have, or undefined when it is not a file or directory fumidai tightens (symlinks, sockets). */
export function wantedMode(st: Stats): number | undefined {
  if (st.isDirectory()) return DIR_MODE;
  if (st.isFile()) return FILE_MODE;
  return undefined;
}

/**
 * Tightens every directory and regular file under the given roots (the data directory and any configured directory
 * outside it), symlinks not followed. Only bits beyond the owner's are taken away: a file the owner cannot write
 * (0400) stays so.
 */
export function tightenModes(roots: string[]): ModeFix[] {
  const fixes: ModeFix[] = [];
  const visit = (path: string) => {
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      return; // gone meanwhile, or not created yet
    }
    const wanted = wantedMode(st);
    if (wanted === undefined) return;
    const from = st.mode & 0o7777;
    if (from & ~wanted) {
      const to = from & wanted;
      try {
        chmodSync(path, to);
        fixes.push({ path, from, to });
      } catch (err) {
        fixes.push({ path, from, to, error: (err as NodeJS.ErrnoException).code ?? String(err) });
      }
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const root of outermost(roots)) visit(root);
  return fixes;
}

/** The roots that are not inside another one, so that nothing is walked twice. */
function outermost(roots: string[]): string[] {
  const inside = (a: string, b: string) => {
    const rel = relative(b, a);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const unique = [...new Set(roots)];
  return unique.filter((r, i) => !unique.some((o, j) => j !== i && inside(r, o) && !(inside(o, r) && j > i)));
}

export const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
