// Every chain of a data directory's trail verified, and the one line that tells each verdict: what `audit verify`,
// `report` and the web console's audit page say alike.
import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DataDir } from '../config/data-dir.js';
import { loadAuditPublicKey } from './keys.js';
import { auditKeyFile, auditRoot } from './open.js';
import { readSegments, verifySegments, type Verdict } from './verify.js';

/** The data directory's public audit key (from the private key, or its .pub when only that is readable). */
export function localAuditKey(dir: DataDir): KeyObject {
  return loadAuditPublicKey(auditKeyFile(dir));
}

/** Verifies every chain (one per node and one per node's admin commands) under the audit directory. */
export function verifyAll(dir: DataDir, since?: string, until?: string, key = localAuditKey(dir)): ChainVerdict[] {
  return verifyRoot(auditRoot(dir), key, since, until);
}

export interface ChainVerdict {
  chain: string;
  verdict: Verdict;
}

/** The same over an audit directory given by its path. */
export function verifyRoot(root: string, key: KeyObject, since?: string, until?: string): ChainVerdict[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((c) => statSync(join(root, c)).isDirectory())
    .sort()
    .map((chain) => ({ chain, verdict: verifySegments(readSegments(join(root, chain), since, until), key, !since) }));
}

/**
 * verifyRoot on a worker thread: it reads and hashes the whole trail (about 1.4 s for 200,000 events), which on the
 * server's own thread would stall every relayed session meanwhile.
 */
export function verifyRootOffThread(root: string, key: KeyObject): Promise<ChainVerdict[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { root, key: key.export({ type: 'spki', format: 'der' }) } });
    worker.once('message', (v: ChainVerdict[]) => resolve(v));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the verification thread stopped (${code})`)));
  });
}

export function describeVerdict(chain: string, v: Verdict): string {
  if (v.ok) return `${chain}: OK, ${v.events} events in ${v.segments} segments, ${v.checkpoints} signed checkpoints${v.openSegment ? ` (${v.openSegment} still open: its tail is covered when it is checkpointed)` : ''}`;
  return `${chain}/${v.file}: line ${v.line}: ${v.problem}: ${v.detail}`;
}
