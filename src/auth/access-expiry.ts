// The end of every access request goes into the trail, whether or not a session used it: the live re-check writes
// AccessExpired for a request a live session relied on (with that session's context); this sweep, run after each
// re-check, writes it for the others: an approved access that ended unused, and (result failure) a pending request
// nobody answered within requests.pendingFor. The store's expiry claim makes it once per request across all nodes.
import type { AuditContext, EventFields } from '../audit/trail.js';
import type { AccessRequestRecord, AccessRequests } from '../store/store.js';

export interface ExpiryDeps {
  store: Pick<AccessRequests, 'endedUnclaimed' | 'claimAccessExpiry' | 'releaseAccessExpiry'>;
  audit: { record(name: 'AccessExpired', ctx: AuditContext, fields: EventFields<'AccessExpired'>): Promise<void> };
}

/** Per sweep: a backlog (say, after a long stop) is worked off over the next re-checks, not in one go. */
const BATCH = 200;

/** Writes the AccessExpired events due at `now`; how many this node wrote. */
export async function sweepEndedAccess(deps: ExpiryDeps, now = new Date()): Promise<number> {
  let written = 0;
  for (const r of await deps.store.endedUnclaimed(now, BATCH)) {
    // Claimed before the write: another node may sweep the same rows at the same moment.
    if (!(await deps.store.claimAccessExpiry(r.id))) continue;
    // An event that could not be written is not lost: the claim goes back, and a later sweep writes it.
    await deps.audit.record('AccessExpired', { user: r.user, target: r.target, login: r.login }, expiryFields(r)).catch(async (err: unknown) => {
      await deps.store.releaseAccessExpiry(r.id);
      throw err;
    });
    written++;
  }
  return written;
}

export function expiryFields(r: AccessRequestRecord): EventFields<'AccessExpired'> {
  const about = { requestId: r.id, target: r.target, login: r.login };
  if (r.state === 'approved' && r.grantedUntil) return { ...about, grantedUntil: r.grantedUntil, reason: `access request #${r.id} ended at ${r.grantedUntil}` };
  return { ...about, pendingUntil: r.pendingUntil, result: 'failure', reason: `access request #${r.id} not answered within requests.pendingFor (pending until ${r.pendingUntil})` };
}
