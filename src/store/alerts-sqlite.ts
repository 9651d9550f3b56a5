// The alert spool in the SQLite store (one process writes it: each statement runs alone).
import type Database from 'better-sqlite3';
import type { AlertDeliveryState, AlertRecord, AlertSpool } from './alert-types.js';
import type { Row } from './rows.js';

export const toAlert = (r: Row): AlertRecord => ({
  id: Number(r.id), rule: r.rule, key: r.key, severity: r.severity, summary: r.summary, event: r.event, sinks: JSON.parse(r.sinks) as string[],
  count: Number(r.count), firstAt: Number(r.first_at), lastAt: Number(r.last_at), ...(r.sealed_at !== null ? { sealedAt: Number(r.sealed_at) } : {}),
});

export const toDelivery = (r: Row): AlertDeliveryState => ({
  sink: r.sink, state: r.state, attempts: Number(r.attempts), nextAt: Number(r.next_at),
  ...(r.last_error !== null ? { lastError: r.last_error } : {}), ...(r.delivered_at !== null ? { deliveredAt: Number(r.delivered_at) } : {}),
});

export function sqliteAlerts(db: Database.Database): AlertSpool {
  const seal = db.transaction((now: number) => {
    const due = db.prepare('SELECT id, sinks FROM alerts WHERE sealed_at IS NULL AND not_before <= ?').all(now) as Row[];
    for (const a of due) {
      db.prepare('UPDATE alerts SET sealed_at = ? WHERE id = ?').run(now, a.id);
      for (const sink of JSON.parse(a.sinks) as string[]) db.prepare('INSERT INTO alert_deliveries (alert_id, sink, next_at) VALUES (?, ?, ?)').run(a.id, sink, now);
    }
    return due.length;
  });
  return {
    async raiseAlert(a, now, rateLimitMs) {
      db.prepare(
        `INSERT INTO alerts (rule, key, severity, summary, event, sinks, first_at, last_at, not_before)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, MAX(?, COALESCE((SELECT MAX(sealed_at) FROM alerts WHERE rule = ? AND key = ? AND sealed_at IS NOT NULL) + ?, 0)))
         ON CONFLICT (rule, key) WHERE sealed_at IS NULL DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
      ).run(a.rule, a.key, a.severity, a.summary, a.event, JSON.stringify(a.sinks), now, now, now, a.rule, a.key, rateLimitMs);
    },
    async sealAlerts(now) {
      return seal(now);
    },
    async claimDeliveries(node, now, leaseMs, limit) {
      const rows = db
        .prepare(
          `UPDATE alert_deliveries SET lease_until = ?, leased_by = ? WHERE rowid IN (SELECT rowid FROM alert_deliveries
             WHERE state = 'pending' AND next_at <= ? AND lease_until <= ? ORDER BY next_at LIMIT ?) RETURNING *`,
        )
        .all(now + leaseMs, node, now, now, limit) as Row[];
      return rows.map((r) => ({ ...toDelivery(r), alert: toAlert(db.prepare('SELECT * FROM alerts WHERE id = ?').get(r.alert_id) as Row) }));
    },
    async finishDelivery(alertId, sink, node, o) {
      return db
        .prepare("UPDATE alert_deliveries SET state = ?, attempts = attempts + 1, next_at = ?, last_error = ?, delivered_at = ?, lease_until = 0 WHERE alert_id = ? AND sink = ? AND leased_by = ? AND state = 'pending'")
        .run(o.state, o.state === 'pending' ? o.nextAt : 0, o.state === 'delivered' ? null : o.error, o.state === 'delivered' ? o.at : null, alertId, sink, node).changes > 0;
    },
    async recentAlerts(limit) {
      const rows = db.prepare('SELECT * FROM alerts ORDER BY id DESC LIMIT ?').all(limit) as Row[];
      return rows.map((r) => ({ ...toAlert(r), deliveries: (db.prepare('SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY sink').all(r.id) as Row[]).map(toDelivery) }));
    },
    async touchAddress(user, address, now) {
      const known = db.prepare('SELECT 1 FROM alert_addresses WHERE user = ? LIMIT 1').get(user) !== undefined;
      const r = db.prepare('SELECT last_at FROM alert_addresses WHERE user = ? AND address = ?').get(user, address) as Row | undefined;
      db.prepare('INSERT INTO alert_addresses (user, address, last_at) VALUES (?, ?, ?) ON CONFLICT (user, address) DO UPDATE SET last_at = excluded.last_at').run(user, address, now);
      return { at: r ? Number(r.last_at) : null, known };
    },
  };
}
