// The sessions list's pages in the SQLite store (the SQL is session-query.ts's).
import type Database from 'better-sqlite3';
import { toSession, type Row } from './rows.js';
import { channelsOfSql, pageOf, sessionPageSql, withChannels } from './session-query.js';
import type { SessionIndex } from './store.js';

export function sqliteSessionList(db: Database.Database): Pick<SessionIndex, 'sessionPage'> {
  return {
    async sessionPage(q) {
      const { sql, args } = sessionPageSql(q, 'sqlite');
      const { rows, next } = pageOf((db.prepare(sql).all(...args) as Row[]).map(toSession), q.limit);
      if (!rows.length) return { sessions: [] };
      const ch = channelsOfSql(rows.map((r) => r.auditKey), 'sqlite');
      const sessions = withChannels(rows, db.prepare(ch.sql).all(...ch.args) as Parameters<typeof withChannels>[1]);
      return next ? { sessions, next } : { sessions };
    },
  };
}
