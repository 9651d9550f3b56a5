// Shell lines held for an approver (policy `on: shell` rules with `action: hold`), in the SQLite or PostgreSQL store:
// the node whose session holds the line writes it and polls it; an approver's decision may come through any node.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { Row } from './rows.js';
import type { LineHoldRecord, LineHolds, NewLineHold } from './line-hold-types.js';

const toHold = (r: Row): LineHoldRecord => ({
  id: Number(r.id), auditKey: r.audit_key, user: r.user, target: r.target, login: r.login, rule: r.rule, line: r.line,
  approvers: JSON.parse(r.approvers) as string[], state: r.state, createdAt: r.created_at, pendingUntil: r.pending_until,
  ...(r.decided_by !== null ? { decidedBy: r.decided_by } : {}),
  ...(r.decision_reason !== null ? { decisionReason: r.decision_reason } : {}),
});

const COLUMNS = 'audit_key, "user", target, login, rule, line, approvers, state, created_at, pending_until';
const values = (h: NewLineHold) => [h.auditKey, h.user, h.target, h.login, h.rule, h.line, JSON.stringify(h.approvers), 'pending', new Date().toISOString(), h.pendingUntil];

export function sqliteLineHolds(db: Database.Database): LineHolds {
  return {
    async addLineHold(h) {
      return Number(db.prepare(`INSERT INTO line_holds (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...values(h)).lastInsertRowid);
    },
    async lineHold(id) {
      const r = db.prepare('SELECT * FROM line_holds WHERE id = ?').get(id) as Row | undefined;
      return r && toHold(r);
    },
    async pendingLineHolds() {
      return (db.prepare("SELECT * FROM line_holds WHERE state = 'pending' ORDER BY id").all() as Row[]).map(toHold);
    },
    async decideLineHold(id, state, by, reason) {
      return db.prepare("UPDATE line_holds SET state = ?, decided_by = ?, decision_reason = ?, decided_at = ? WHERE id = ? AND state = 'pending'")
        .run(state, by ?? null, reason ?? null, new Date().toISOString(), id).changes > 0;
    },
  };
}

export function pgLineHolds(pool: pg.Pool): LineHolds {
  return {
    async addLineHold(h) {
      const { rows } = await pool.query(`INSERT INTO line_holds (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`, values(h));
      return Number(rows[0].id);
    },
    async lineHold(id) {
      const r = (await pool.query('SELECT * FROM line_holds WHERE id = $1', [id])).rows[0];
      return r && toHold(r);
    },
    async pendingLineHolds() {
      return (await pool.query("SELECT * FROM line_holds WHERE state = 'pending' ORDER BY id")).rows.map(toHold);
    },
    async decideLineHold(id, state, by, reason) {
      const r = await pool.query("UPDATE line_holds SET state = $1, decided_by = $2, decision_reason = $3, decided_at = $4 WHERE id = $5 AND state = 'pending'", [state, by ?? null, reason ?? null, new Date().toISOString(), id]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
