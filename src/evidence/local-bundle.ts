// A session's evidence bundle from this data directory: its events with their proof from whichever local chain names
// it, and its recordings still on this node. What `evidence export` writes and the web console sends alike.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { auditRoot } from '../audit/open.js';
import { localAuditKey } from '../audit/verify-all.js';
import { readSegments } from '../audit/verify.js';
import type { SessionIndex, SessionRecord } from '../store/store.js';
import { buildBundle } from './bundle.js';
import type { EvidenceBundle } from './proof.js';

/**
 * SESSION_UNKNOWN when the index or the trail does not know the session; ARGUMENT_INVALID when its newest events
 * are not yet covered by a signed checkpoint (the server writes one within seconds).
 */
export async function localBundle(index: Pick<SessionIndex, 'getSession' | 'channelsOf'>, dir: DataDir, auditKey: string): Promise<{ bundle: EvidenceBundle; session: SessionRecord }> {
  const session = await index.getSession(auditKey);
  if (!session) throw fail('SESSION_UNKNOWN', auditKey);
  const paths = (await index.channelsOf(auditKey)).map((c) => c.recordingPath).filter((p) => p && existsSync(p));
  const root = auditRoot(dir);
  const chains = existsSync(root) ? readdirSync(root).filter((c) => !c.endsWith('-admin') && statSync(join(root, c)).isDirectory()).sort() : [];
  for (const chain of chains) {
    let bundle: EvidenceBundle | undefined;
    try {
      bundle = await buildBundle(auditKey, chain, readSegments(join(root, chain)), localAuditKey(dir), paths);
    } catch (err) {
      throw fail('ARGUMENT_INVALID', (err as Error).message);
    }
    if (bundle) return { bundle, session };
  }
  throw fail('SESSION_UNKNOWN', auditKey, ' in the audit trail');
}
