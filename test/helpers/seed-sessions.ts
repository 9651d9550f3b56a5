// Many sessions for list tests and the list benchmark, made by a rule (so a test can compute what each filter must
// return) and written in one transaction per store: the store's own calls would take a commit per row.
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ChannelRecord, SessionRecord } from '../../src/store/store.js';

export type Seeded = SessionRecord & { channels: Pick<ChannelRecord, 'channel' | 'kind' | 'command'>[] };

const BASE = Date.parse('2026-01-01T00:00:00Z');
const KIND_SETS = [['shell'], ['exec'], ['sftp'], ['direct-tcpip', 'direct-tcpip'], ['shell', 'exec'], ['x11'], []];

/** Session `i` of `n`: users, targets, logins, addresses and kinds cycle; pairs share a start (the order's tie-breaker). */
export function seededSessions(n: number): Seeded[] {
  const out: Seeded[] = [];
  for (let i = 0; i < n; i++) {
    const start = BASE + Math.floor(i / 2) * 60_000;
    const state = i % 97 === 0 ? 'live' : i % 10 === 3 ? 'interrupted' : 'closed';
    const kinds = KIND_SETS[i % KIND_SETS.length]!;
    out.push({
      auditKey: `${new Date(start).toISOString().replace(/[-:]|\.\d+/g, '')}-user${i % 7}-${(i + 0x100000).toString(16)}`,
      user: `user${i % 7}`,
      sourceIp: `10.0.${i % 11}.${i % 13}`,
      sourcePort: 40000 + (i % 1000),
      target: `target${i % 5}`,
      login: ['root', 'deploy', 'app'][i % 3]!,
      startedAt: new Date(start).toISOString(),
      ...(state === 'live' ? {} : { endedAt: new Date(start + (i % 50) * 60_000).toISOString(), exitStatus: 0 }),
      state,
      channels: kinds.map((kind, c) => ({ channel: c, kind, ...(kind === 'exec' ? { command: `uptime #${i}` } : {}) })),
    });
  }
  return out;
}

const sessionRow = (s: Seeded) => [s.auditKey, s.user, s.sourceIp, s.sourcePort, s.target, s.login, s.startedAt, s.endedAt ?? null, s.exitStatus ?? null, s.state];
const channelRows = (s: Seeded) => s.channels.map((c) => [s.auditKey, c.channel, c.kind, c.command ?? null, `/nonexistent/${s.auditKey}/${c.channel}.cast`, s.startedAt, 'sealed']);

/** Writes the sessions into a SQLite store file (already created and migrated by SqliteStore). */
export function seedSqlite(file: string, sessions: Seeded[]): void {
  const db = new Database(file);
  try {
    const s = db.prepare('INSERT INTO sessions (audit_key, user, source_ip, source_port, target, login, started_at, ended_at, exit_status, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const c = db.prepare('INSERT INTO channels (audit_key, channel, kind, command, recording_path, started_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const x of sessions) {
        s.run(...sessionRow(x));
        for (const row of channelRows(x)) c.run(...row);
      }
    })();
  } finally {
    db.close();
  }
}

/** Writes the sessions into a PostgreSQL store (migrated by PgStore), in a few multi-row inserts. */
export async function seedPg(url: string, sessions: Seeded[], node = 'node-a'): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    const cols = (rows: unknown[][]) => rows[0]!.map((_, i) => rows.map((r) => r[i]));
    for (let at = 0; at < sessions.length; at += 2000) {
      const part = sessions.slice(at, at + 2000);
      await client.query(
        `INSERT INTO sessions (audit_key, node, "user", source_ip, source_port, target, login, started_at, ended_at, exit_status, state)
         SELECT a, $11, b, c, d, e, f, g, h, i, j FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[]) AS t(a, b, c, d, e, f, g, h, i, j)`,
        [...cols(part.map(sessionRow)), node],
      );
      const ch = part.flatMap(channelRows);
      if (ch.length)
        await client.query(
          `INSERT INTO channels (audit_key, channel, node, kind, command, recording_path, started_at, state)
           SELECT a, b, $8, c, d, e, f, g FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(a, b, c, d, e, f, g)`,
          [...cols(ch), node],
        );
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
