// One page of the sessions list as SQL, for SQLite and PostgreSQL alike (pure: text and arguments, no I/O). Live
// sessions come first, then the newest; paging is by keyset (the last row of a page), so page 500 costs what page 1
// does. The two groups are two index-ordered selects joined by UNION ALL: neither sorts the whole table.
import type { SessionCursor, SessionKind, SessionPage, SessionQuery, SessionRecord } from './store.js';

/** What the list calls a kind, and the channel kinds each stands for. */
export const SESSION_KINDS: Record<SessionKind, readonly string[]> = { shell: ['shell'], exec: ['exec'], sftp: ['sftp'], tunnel: ['direct-tcpip', 'forwarded-tcpip', 'x11'] };
export const SESSION_STATES = ['live', 'closed', 'interrupted'] as const;

/** The same in both stores' migrations: a group's newest first, and each filter's sessions newest first. */
export const SESSION_LIST_INDEXES = `CREATE INDEX sessions_state_started ON sessions(state, started_at, audit_key);
   CREATE INDEX sessions_user_started ON sessions("user", started_at);
   CREATE INDEX sessions_target_started ON sessions(target, started_at);
   CREATE INDEX sessions_source_started ON sessions(source_ip, started_at);
   CREATE INDEX channels_kind ON channels(kind, audit_key);`;

export type Dialect = 'sqlite' | 'pg';

/** The select of one page: `limit + 1` rows at most (the extra row says whether a next page exists). */
export function sessionPageSql(q: SessionQuery, dialect: Dialect): { sql: string; args: unknown[] } {
  const args: unknown[] = [];
  const p = (v: unknown) => (args.push(v), dialect === 'pg' ? `$${args.length}` : '?');
  // Built once per branch: SQLite's `?` are positional, so each branch carries its own arguments.
  const filters = (): string[] => {
    const w: string[] = [];
    const eq = (column: string, v: string | undefined) => v !== undefined && w.push(`${column} = ${p(v)}`);
    eq('"user"', q.user);
    eq('target', q.target);
    eq('login', q.login);
    eq('source_ip', q.sourceIp);
    if (q.from !== undefined) w.push(`(ended_at IS NULL OR ended_at >= ${p(q.from)})`);
    if (q.to !== undefined) w.push(`started_at <= ${p(q.to)}`);
    if (q.kind) w.push(`EXISTS (SELECT 1 FROM channels c WHERE c.audit_key = s.audit_key AND c.kind IN (${SESSION_KINDS[q.kind].map(p).join(', ')}))`);
    return w;
  };
  const fetch = q.limit + 1;
  const branch = (live: boolean) => {
    const where = [live ? `state = 'live'` : q.state ? `state = ${p(q.state)}` : `state <> 'live'`, ...filters()];
    const c = q.after;
    if (c && c.live === live) where.push(`(started_at < ${p(c.startedAt)} OR (started_at = ${p(c.startedAt)} AND audit_key < ${p(c.auditKey)}))`);
    return `SELECT * FROM (SELECT * FROM sessions s WHERE ${where.join(' AND ')} ORDER BY started_at DESC, audit_key DESC LIMIT ${p(fetch)}) AS ${live ? 'live' : 'ended'}`;
  };
  const parts: string[] = [];
  // Past the live group (a cursor in the ended one), or asking for another state: no live branch.
  if ((q.state === undefined || q.state === 'live') && (!q.after || q.after.live)) parts.push(branch(true));
  if (q.state !== 'live') parts.push(branch(false));
  if (!parts.length) return { sql: 'SELECT * FROM sessions WHERE 1 = 0', args: [] };
  const sql = `SELECT * FROM (${parts.join(' UNION ALL ')}) AS page ORDER BY CASE WHEN state = 'live' THEN 0 ELSE 1 END, started_at DESC, audit_key DESC LIMIT ${p(fetch)}`;
  return { sql, args };
}

/** Splits `limit + 1` rows into the page and the cursor of the next one. */
export function pageOf<T extends SessionRecord>(rows: T[], limit: number): { rows: T[]; next?: SessionCursor } {
  if (rows.length <= limit) return { rows };
  const last = rows[limit - 1]!;
  return { rows: rows.slice(0, limit), next: { live: last.state === 'live', startedAt: last.startedAt, auditKey: last.auditKey } };
}

/** Channels of the page's sessions, in one select. */
export function channelsOfSql(keys: string[], dialect: Dialect): { sql: string; args: unknown[] } {
  const cols = 'SELECT audit_key, channel, kind, command FROM channels WHERE audit_key';
  if (dialect === 'pg') return { sql: `${cols} = ANY($1::text[]) ORDER BY audit_key, channel`, args: [keys] };
  return { sql: `${cols} IN (${keys.map(() => '?').join(', ')}) ORDER BY audit_key, channel`, args: keys };
}

/** Joins the page's sessions with their channels (rows ordered by key, then channel). */
export function withChannels(sessions: SessionRecord[], channels: { audit_key: string; channel: number; kind: string; command: string | null }[]): SessionPage['sessions'] {
  const by = new Map<string, SessionPage['sessions'][number]['channels']>();
  for (const c of channels) {
    const list: SessionPage['sessions'][number]['channels'] = by.get(c.audit_key) ?? [];
    list.push({ channel: c.channel, kind: c.kind, ...(c.command !== null ? { command: c.command } : {}) });
    by.set(c.audit_key, list);
  }
  return sessions.map((s) => ({ ...s, channels: by.get(s.auditKey) ?? [] }));
}
