// The sessions list's pages in the PostgreSQL store (the SQL is session-query.ts's).
import type pg from 'pg';
import { toSession } from './rows.js';
import { channelsOfSql, pageOf, sessionPageSql, withChannels } from './session-query.js';
import type { SessionIndex } from './store.js';

export function pgSessionList(pool: pg.Pool): Pick<SessionIndex, 'sessionPage'> {
  return {
    async sessionPage(q) {
      const { sql, args } = sessionPageSql(q, 'pg');
      const { rows, next } = pageOf((await pool.query(sql, args)).rows.map(toSession), q.limit);
      if (!rows.length) return { sessions: [] };
      const ch = channelsOfSql(rows.map((r) => r.auditKey), 'pg');
      const sessions = withChannels(rows, (await pool.query(ch.sql, ch.args)).rows);
      return next ? { sessions, next } : { sessions };
    },
  };
}
