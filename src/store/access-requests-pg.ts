// Just-in-time access requests in the PostgreSQL store (same columns as SQLite's; "user" is quoted).
import type pg from 'pg';
import type { AccessRequests } from './store.js';
import { endedSince, toAccessRequest } from './access-requests-sqlite.js';

export function pgAccessRequests(pool: pg.Pool): AccessRequests {
  return {
    async addAccessRequest(r) {
      const { rows } = await pool.query(
        'INSERT INTO access_requests ("user", target, login, rule, for_sec, reason, state, created_at, pending_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
        [r.user, r.target, r.login, r.rule, r.forSec, r.reason, 'pending', new Date().toISOString(), r.pendingUntil],
      );
      return Number(rows[0].id);
    },
    async accessRequest(id) {
      const r = (await pool.query('SELECT * FROM access_requests WHERE id = $1', [id])).rows[0];
      return r && toAccessRequest(r);
    },
    async listAccessRequests(user) {
      const { rows } = user === undefined
        ? await pool.query('SELECT * FROM access_requests ORDER BY id DESC')
        : await pool.query('SELECT * FROM access_requests WHERE "user" = $1 ORDER BY id DESC', [user]);
      return rows.map(toAccessRequest);
    },
    async changeAccessRequest(id, seen, c) {
      const r = await pool.query(
        'UPDATE access_requests SET state = $1, approvers = $2, decided_by = $3, decision_reason = $4, decided_at = $5, granted_until = $6 WHERE id = $7 AND state = $8 AND approvers = $9',
        [c.state, JSON.stringify(c.approvers), c.decidedBy ?? null, c.decisionReason ?? null, c.decidedAt ?? null, c.grantedUntil ?? null, id, seen.state, JSON.stringify(seen.approvers)],
      );
      return (r.rowCount ?? 0) > 0;
    },
    async approvedAccessOf(user, now) {
      const { rows } = await pool.query("SELECT * FROM access_requests WHERE \"user\" = $1 AND state = 'approved' AND granted_until > $2 ORDER BY id", [user, endedSince(now)]);
      return rows.map(toAccessRequest);
    },
    async claimAccessExpiry(id) {
      return ((await pool.query('UPDATE access_requests SET expiry_claimed = true WHERE id = $1 AND NOT expiry_claimed', [id])).rowCount ?? 0) > 0;
    },
    async releaseAccessExpiry(id) {
      await pool.query('UPDATE access_requests SET expiry_claimed = false WHERE id = $1', [id]);
    },
    async endedUnclaimed(now, limit) {
      const { rows } = await pool.query(`SELECT * FROM access_requests WHERE NOT expiry_claimed AND ((state = 'approved' AND granted_until <= $1) OR (state = 'pending' AND pending_until <= $1)) ORDER BY id LIMIT $2`, [now.toISOString(), limit]);
      return rows.map(toAccessRequest);
    },
  };
}
