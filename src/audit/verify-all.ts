// Every chain of a data directory's trail verified, and the one line that tells each verdict: what `audit verify`,
// `report` and the web console's audit page say alike.
import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DataDir } from '../config/data-dir.js';
import { loadAuditPublicKey } from './keys.js';
import { auditKeyFile, auditRoot } from './open.js';
import { readSegments, verifySegments, type Verdict } from './verify.js';

/** The data directory's public audit key (from the private key, or its .pub when only that is readable). */
export function localAuditKey(dir: DataDir): KeyObject {
  return loadAuditPublicKey(auditKeyFile(dir));
}

/** Verifies every chain (one per node and one per node's admin commands) under the audit directory. */
export function verifyAll(dir: DataDir, since?: string, until?: string, key = localAuditKey(dir)): { chain: string; verdict: Verdict }[] {
  const root = auditRoot(dir);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((c) => statSync(join(root, c)).isDirectory())
    .sort()
    .map((chain) => ({ chain, verdict: verifySegments(readSegments(join(root, chain), since, until), key, !since) }));
}

export function describeVerdict(chain: string, v: Verdict): string {
  if (v.ok) return `${chain}: OK, ${v.events} events in ${v.segments} segments, ${v.checkpoints} signed checkpoints${v.openSegment ? ` (${v.openSegment} still open: its tail is covered when it is checkpointed)` : ''}`;
  return `${chain}/${v.file}: line ${v.line}: ${v.problem}: ${v.detail}`;
}
