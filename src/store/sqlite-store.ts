// The embedded store: one SQLite file in the data directory (WAL, so the CLI and a running server share it).
import Database from 'better-sqlite3';
import type { GrantRecord, SessionRecord, Store, TargetRecord, UserKeyRecord, UserLock, UserRecord } from './store.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE users (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE user_keys (fingerprint TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     type TEXT NOT NULL, blob BLOB NOT NULL, comment TEXT NOT NULL, added_at TEXT NOT NULL);
   CREATE INDEX user_keys_user ON user_keys(user);
   CREATE TABLE targets (name TEXT PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL, default_login TEXT NOT NULL,
     host_key TEXT, host_key_fingerprint TEXT, created_at TEXT NOT NULL);
   CREATE TABLE grants (user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     target TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE, login TEXT NOT NULL, created_at TEXT NOT NULL,
     PRIMARY KEY (user, target, login));
   CREATE TABLE sessions (audit_key TEXT PRIMARY KEY, user TEXT NOT NULL, source_ip TEXT NOT NULL,
     source_port INTEGER NOT NULL, target TEXT, login TEXT, started_at TEXT NOT NULL, ended_at TEXT,
     exit_status INTEGER, state TEXT NOT NULL, reason TEXT);
   CREATE INDEX sessions_started ON sessions(started_at);`,
  `CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE mfa (user TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE, secret_enc BLOB NOT NULL,
     last_step INTEGER NOT NULL DEFAULT 0, enrolled_at TEXT NOT NULL);
   CREATE TABLE auth_failures (user TEXT PRIMARY KEY, consecutive INTEGER NOT NULL, locked_until TEXT);`,
];

const now = () => new Date().toISOString();

export class SqliteStore implements Store {
  #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v]!);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async addUser(name: string): Promise<void> {
    this.#db.prepare('INSERT INTO users (name, created_at) VALUES (?, ?)').run(name, now());
  }
  async removeUser(name: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }
  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
    return row && toUser(row);
  }
  async listUsers(): Promise<UserRecord[]> {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as Row[]).map(toUser);
  }

  async addKey(key: Omit<UserKeyRecord, 'addedAt'>): Promise<void> {
    this.#db
      .prepare('INSERT INTO user_keys (fingerprint, user, type, blob, comment, added_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.fingerprint, key.user, key.type, key.blob, key.comment, now());
  }
  async keysOf(user: string): Promise<UserKeyRecord[]> {
    return (this.#db.prepare('SELECT * FROM user_keys WHERE user = ? ORDER BY added_at').all(user) as Row[]).map(toKey);
  }
  async findKey(fingerprint: string): Promise<UserKeyRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM user_keys WHERE fingerprint = ?').get(fingerprint) as Row | undefined;
    return row && toKey(row);
  }

  async removeKey(user: string, fingerprint: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM user_keys WHERE user = ? AND fingerprint = ?').run(user, fingerprint).changes > 0;
  }

  async addTarget(t: Omit<TargetRecord, 'createdAt' | 'hostKey' | 'hostKeyFingerprint'>): Promise<void> {
    this.#db
      .prepare('INSERT INTO targets (name, host, port, default_login, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(t.name, t.host, t.port, t.defaultLogin, now());
  }
  async removeTarget(name: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM targets WHERE name = ?').run(name).changes > 0;
  }
  async getTarget(name: string): Promise<TargetRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM targets WHERE name = ?').get(name) as Row | undefined;
    return row && toTarget(row);
  }
  async listTargets(): Promise<TargetRecord[]> {
    return (this.#db.prepare('SELECT * FROM targets ORDER BY name').all() as Row[]).map(toTarget);
  }
  async pinHostKey(target: string, hostKey: string, fingerprint: string): Promise<void> {
    // Only the first pin wins: two concurrent first connections must not overwrite each other.
    this.#db
      .prepare('UPDATE targets SET host_key = ?, host_key_fingerprint = ? WHERE name = ? AND host_key IS NULL')
      .run(hostKey, fingerprint, target);
  }
  async forgetHostKey(target: string): Promise<boolean> {
    return (
      this.#db.prepare('UPDATE targets SET host_key = NULL, host_key_fingerprint = NULL WHERE name = ?').run(target)
        .changes > 0
    );
  }

  async grant(user: string, target: string, login: string): Promise<void> {
    this.#db
      .prepare('INSERT OR IGNORE INTO grants (user, target, login, created_at) VALUES (?, ?, ?, ?)')
      .run(user, target, login, now());
  }
  async revoke(user: string, target: string, login?: string): Promise<number> {
    if (login === undefined)
      return this.#db.prepare('DELETE FROM grants WHERE user = ? AND target = ?').run(user, target).changes;
    return this.#db.prepare('DELETE FROM grants WHERE user = ? AND target = ? AND login = ?').run(user, target, login)
      .changes;
  }
  async grantsOf(user: string): Promise<GrantRecord[]> {
    return (
      this.#db.prepare('SELECT * FROM grants WHERE user = ? ORDER BY target, login').all(user) as Row[]
    ).map((r) => ({ user: r.user, target: r.target, login: r.login, createdAt: r.created_at }));
  }

  async openSession(s: Omit<SessionRecord, 'state'>): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO sessions (audit_key, user, source_ip, source_port, target, login, started_at, state)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'live')`,
      )
      .run(s.auditKey, s.user, s.sourceIp, s.sourcePort, s.target ?? null, s.login ?? null, s.startedAt);
  }
  async updateSession(auditKey: string, f: Partial<Pick<SessionRecord, 'target' | 'login'>>): Promise<void> {
    this.#db
      .prepare('UPDATE sessions SET target = coalesce(?, target), login = coalesce(?, login) WHERE audit_key = ?')
      .run(f.target ?? null, f.login ?? null, auditKey);
  }
  async closeSession(auditKey: string, f: { endedAt: string; exitStatus?: number; reason?: string }): Promise<void> {
    this.#db
      .prepare(`UPDATE sessions SET ended_at = ?, exit_status = ?, reason = ?, state = 'closed' WHERE audit_key = ?`)
      .run(f.endedAt, f.exitStatus ?? null, f.reason ?? null, auditKey);
  }
  async interruptLiveSessions(reason: string): Promise<number> {
    return this.#db
      .prepare(`UPDATE sessions SET state = 'interrupted', reason = ?, ended_at = coalesce(ended_at, ?) WHERE state = 'live'`)
      .run(reason, now()).changes;
  }
  async listSessions(): Promise<SessionRecord[]> {
    return (this.#db.prepare('SELECT * FROM sessions ORDER BY started_at').all() as Row[]).map(toSession);
  }

  async getPolicyDocument(): Promise<{ document: string; updatedAt: string } | undefined> {
    const row = this.#db.prepare('SELECT document, updated_at FROM policy WHERE id = 1').get() as Row | undefined;
    return row && { document: row.document, updatedAt: row.updated_at };
  }
  async setPolicyDocument(document: string): Promise<void> {
    this.#db
      .prepare('INSERT INTO policy (id, document, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at')
      .run(document, now());
  }

  async getMfa(user: string): Promise<{ secretEnc: Buffer; lastStep: number; enrolledAt: string } | undefined> {
    const row = this.#db.prepare('SELECT * FROM mfa WHERE user = ?').get(user) as Row | undefined;
    return row && { secretEnc: row.secret_enc, lastStep: row.last_step, enrolledAt: row.enrolled_at };
  }
  async setMfa(user: string, secretEnc: Buffer): Promise<void> {
    this.#db
      .prepare('INSERT INTO mfa (user, secret_enc, last_step, enrolled_at) VALUES (?, ?, 0, ?) ON CONFLICT (user) DO UPDATE SET secret_enc = excluded.secret_enc, last_step = 0, enrolled_at = excluded.enrolled_at')
      .run(user, secretEnc, now());
  }
  async deleteMfa(user: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM mfa WHERE user = ?').run(user).changes > 0;
  }
  async useMfaStep(user: string, step: number): Promise<boolean> {
    return this.#db.prepare('UPDATE mfa SET last_step = ? WHERE user = ? AND last_step < ?').run(step, user, step).changes > 0;
  }

  async recordAuthFailure(user: string, lockAfter: number, lockSeconds: number, at = new Date()): Promise<UserLock> {
    return this.#db.transaction((): UserLock => {
      const row = this.#db.prepare('SELECT * FROM auth_failures WHERE user = ?').get(user) as Row | undefined;
      const consecutive = (row?.consecutive ?? 0) + 1;
      const lockedUntil = consecutive >= lockAfter ? new Date(at.getTime() + lockSeconds * 1000).toISOString() : (row?.locked_until ?? null);
      this.#db
        .prepare('INSERT INTO auth_failures (user, consecutive, locked_until) VALUES (?, ?, ?) ON CONFLICT (user) DO UPDATE SET consecutive = excluded.consecutive, locked_until = excluded.locked_until')
        .run(user, consecutive, lockedUntil);
      return { consecutiveFailures: consecutive, lockedUntil: lockedUntil ?? undefined };
    })();
  }
  async clearAuthFailures(user: string): Promise<void> {
    this.#db.prepare('DELETE FROM auth_failures WHERE user = ?').run(user);
  }
  async getUserLock(user: string): Promise<UserLock> {
    const row = this.#db.prepare('SELECT * FROM auth_failures WHERE user = ?').get(user) as Row | undefined;
    return { consecutiveFailures: row?.consecutive ?? 0, lockedUntil: row?.locked_until ?? undefined };
  }

  async changeToken(): Promise<number> {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;
const toUser = (r: Row): UserRecord => ({ name: r.name, createdAt: r.created_at, disabled: r.disabled === 1 });
const toKey = (r: Row): UserKeyRecord => ({
  user: r.user, fingerprint: r.fingerprint, type: r.type, blob: r.blob, comment: r.comment, addedAt: r.added_at,
});
const toTarget = (r: Row): TargetRecord => ({
  name: r.name, host: r.host, port: r.port, defaultLogin: r.default_login, createdAt: r.created_at,
  hostKey: r.host_key ?? undefined, hostKeyFingerprint: r.host_key_fingerprint ?? undefined,
});
const toSession = (r: Row): SessionRecord => ({
  auditKey: r.audit_key, user: r.user, sourceIp: r.source_ip, sourcePort: r.source_port,
  target: r.target ?? undefined, login: r.login ?? undefined, startedAt: r.started_at,
  endedAt: r.ended_at ?? undefined, exitStatus: r.exit_status ?? undefined, state: r.state, reason: r.reason ?? undefined,
});
