// The alert spool in the PostgreSQL store: several nodes seal and claim from one table, and each alert is sealed once
// and each delivery held by one node at a time (FOR UPDATE SKIP LOCKED, then a lease that another node may take over
// only once it has run out).
import type pg from 'pg';
import type { AlertSpool } from './alert-types.js';
import { toAlert, toDelivery } from './alerts-sqlite.js';

export function pgAlerts(pool: pg.Pool): AlertSpool {
  return {
    async raiseAlert(a, now, rateLimitMs) {
      // A concurrent seal of the open alert makes the conflict go away: PostgreSQL then inserts a new one.
      await pool.query(
        `INSERT INTO alerts (rule, key, severity, summary, event, sinks, first_at, last_at, not_before)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, GREATEST($7, COALESCE((SELECT MAX(sealed_at) FROM alerts WHERE rule = $1 AND key = $2 AND sealed_at IS NOT NULL) + $8, 0)))
         ON CONFLICT (rule, key) WHERE sealed_at IS NULL DO UPDATE SET count = alerts.count + 1, last_at = excluded.last_at`,
        [a.rule, a.key, a.severity, a.summary, a.event, JSON.stringify(a.sinks), now, rateLimitMs],
      );
    },
    async sealAlerts(now) {
      // One statement: the alerts sealed and their deliveries opened together, or neither.
      const r = await pool.query(
        `WITH sealed AS (UPDATE alerts SET sealed_at = $1 WHERE id IN
           (SELECT id FROM alerts WHERE sealed_at IS NULL AND not_before <= $1 FOR UPDATE SKIP LOCKED) RETURNING id, sinks),
         opened AS (INSERT INTO alert_deliveries (alert_id, sink, next_at)
           SELECT id, s, $1 FROM sealed, jsonb_array_elements_text(sinks::jsonb) AS s RETURNING 1)
         SELECT (SELECT count(*) FROM sealed) AS n`,
        [now],
      );
      return Number(r.rows[0].n);
    },
    async claimDeliveries(node, now, leaseMs, limit) {
      const { rows } = await pool.query(
        `UPDATE alert_deliveries d SET lease_until = $1, leased_by = $2 FROM
           (SELECT alert_id, sink FROM alert_deliveries WHERE state = 'pending' AND next_at <= $3 AND lease_until <= $3
            ORDER BY next_at LIMIT $4 FOR UPDATE SKIP LOCKED) c
         WHERE d.alert_id = c.alert_id AND d.sink = c.sink RETURNING d.*`,
        [now + leaseMs, node, now, limit],
      );
      if (!rows.length) return [];
      const alerts = (await pool.query('SELECT * FROM alerts WHERE id = ANY($1)', [rows.map((r) => r.alert_id)])).rows.map(toAlert);
      return rows.map((r) => ({ ...toDelivery(r), alert: alerts.find((a) => a.id === Number(r.alert_id))! }));
    },
    async finishDelivery(alertId, sink, node, o) {
      const r = await pool.query(
        "UPDATE alert_deliveries SET state = $1, attempts = attempts + 1, next_at = $2, last_error = $3, delivered_at = $4, lease_until = 0 WHERE alert_id = $5 AND sink = $6 AND leased_by = $7 AND state = 'pending'",
        [o.state, o.state === 'pending' ? o.nextAt : 0, o.state === 'delivered' ? null : o.error, o.state === 'delivered' ? o.at : null, alertId, sink, node],
      );
      return (r.rowCount ?? 0) > 0;
    },
    async recentAlerts(limit) {
      const alerts = (await pool.query('SELECT * FROM alerts ORDER BY id DESC LIMIT $1', [limit])).rows.map(toAlert);
      const ds = alerts.length ? (await pool.query('SELECT * FROM alert_deliveries WHERE alert_id = ANY($1) ORDER BY sink', [alerts.map((a) => a.id)])).rows : [];
      return alerts.map((a) => ({ ...a, deliveries: ds.filter((d) => Number(d.alert_id) === a.id).map(toDelivery) }));
    },
    async touchAddress(user, address, now) {
      const known = (await pool.query('SELECT 1 FROM alert_addresses WHERE "user" = $1 LIMIT 1', [user])).rowCount! > 0;
      const r = await pool.query(
        `WITH before AS (SELECT last_at FROM alert_addresses WHERE "user" = $1 AND address = $2),
         up AS (INSERT INTO alert_addresses ("user", address, last_at) VALUES ($1, $2, $3) ON CONFLICT ("user", address) DO UPDATE SET last_at = excluded.last_at)
         SELECT last_at FROM before`,
        [user, address, now],
      );
      return { at: r.rows.length ? Number(r.rows[0].last_at) : null, known };
    },
  };
}
