// Just-in-time access requests in the SQLite store.
import type Database from 'better-sqlite3';
import type { AccessRequestRecord, AccessRequests } from './store.js';
import type { Row } from './rows.js';

export const toAccessRequest = (r: Row): AccessRequestRecord => ({
  id: Number(r.id), user: r.user, target: r.target, login: r.login, rule: r.rule, forSec: Number(r.for_sec), reason: r.reason,
  state: r.state, createdAt: r.created_at, pendingUntil: r.pending_until, approvers: JSON.parse(r.approvers) as string[],
  ...(r.decided_by !== null ? { decidedBy: r.decided_by } : {}),
  ...(r.decision_reason !== null ? { decisionReason: r.decision_reason } : {}),
  ...(r.decided_at !== null ? { decidedAt: r.decided_at } : {}),
  ...(r.granted_until !== null ? { grantedUntil: r.granted_until } : {}),
});

/** A day back from `now`: how long an ended access is still named in refusals. */
export const endedSince = (now: Date) => new Date(now.getTime() - 86_400_000).toISOString();

export function sqliteAccessRequests(db: Database.Database): AccessRequests {
  return {
    async addAccessRequest(r) {
      return Number(
        db.prepare('INSERT INTO access_requests (user, target, login, rule, for_sec, reason, state, created_at, pending_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(r.user, r.target, r.login, r.rule, r.forSec, r.reason, 'pending', new Date().toISOString(), r.pendingUntil).lastInsertRowid,
      );
    },
    async accessRequest(id) {
      const r = db.prepare('SELECT * FROM access_requests WHERE id = ?').get(id) as Row | undefined;
      return r && toAccessRequest(r);
    },
    async listAccessRequests(user) {
      const rows = user === undefined
        ? db.prepare('SELECT * FROM access_requests ORDER BY id DESC').all()
        : db.prepare('SELECT * FROM access_requests WHERE user = ? ORDER BY id DESC').all(user);
      return (rows as Row[]).map(toAccessRequest);
    },
    async changeAccessRequest(id, seen, c) {
      return db
        .prepare('UPDATE access_requests SET state = ?, approvers = ?, decided_by = ?, decision_reason = ?, decided_at = ?, granted_until = ? WHERE id = ? AND state = ? AND approvers = ?')
        .run(c.state, JSON.stringify(c.approvers), c.decidedBy ?? null, c.decisionReason ?? null, c.decidedAt ?? null, c.grantedUntil ?? null, id, seen.state, JSON.stringify(seen.approvers))
        .changes > 0;
    },
    async approvedAccessOf(user, now) {
      const rows = db.prepare("SELECT * FROM access_requests WHERE user = ? AND state = 'approved' AND granted_until > ? ORDER BY id").all(user, endedSince(now));
      return (rows as Row[]).map(toAccessRequest);
    },
    async claimAccessExpiry(id) {
      return db.prepare('UPDATE access_requests SET expiry_claimed = 1 WHERE id = ? AND expiry_claimed = 0').run(id).changes > 0;
    },
    async releaseAccessExpiry(id) {
      db.prepare('UPDATE access_requests SET expiry_claimed = 0 WHERE id = ?').run(id);
    },
    async endedUnclaimed(now, limit) {
      const at = now.toISOString();
      const rows = db.prepare(`SELECT * FROM access_requests WHERE expiry_claimed = 0 AND ((state = 'approved' AND granted_until <= ?) OR (state = 'pending' AND pending_until <= ?)) ORDER BY id LIMIT ?`).all(at, at, limit);
      return (rows as Row[]).map(toAccessRequest);
    },
  };
}
