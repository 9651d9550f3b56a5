// The embedded store: one SQLite file in the data directory (WAL, so the CLI and a running server share it).
import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fail } from '../errors.js';
import type { ChannelRecord, SpoolItem, FileOpRecord, IndexedText, GrantRecord, ScreenHit, SessionFilter, SessionIndex, SessionRecord, Store, TargetRecord, UserKeyRecord, UserLock, UserRecord, WebAccounts, WebIdentity, Certificates, AccessRequests } from './store.js';
import { toChannel, toFileOp, toKey, toSession, toSpool, toTarget, toUser, type Row } from './rows.js';
import { migrate } from './sqlite-migrations.js';
import { sqliteWebAccounts } from './web-accounts-sqlite.js';
import { sqliteWebIdentity } from './web-ident-sqlite.js';
import { sqliteCertificates } from './certs-sqlite.js';
import { sqliteSessionList } from './session-list-sqlite.js';
import { sqliteAccessRequests } from './access-requests-sqlite.js';
import { sqliteAlerts } from './alerts-sqlite.js';
import type { AlertSpool } from './alert-types.js';
import { sqliteLineHolds } from './line-holds.js';
import type { LineHolds } from './line-hold-types.js';

const now = () => new Date().toISOString();

// The web console's accounts and identity, the certificates, access requests and the sessions list's pages come from their own modules,
// assigned in the constructor.
export interface SqliteStore extends WebAccounts, WebIdentity, Certificates, AccessRequests, AlertSpool, LineHolds, Pick<SessionIndex, 'sessionPage'> {}
export class SqliteStore implements Store {
  #db: Database.Database;

  constructor(file: string) {
    // Created owner-only before SQLite opens it: its -wal and -shm files take the database file's mode.
    if (file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', 0o600));
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    Object.assign(this, sqliteWebAccounts(this.#db), sqliteWebIdentity(this.#db), sqliteCertificates(this.#db), sqliteAccessRequests(this.#db), sqliteAlerts(this.#db), sqliteLineHolds(this.#db), sqliteSessionList(this.#db));
  }

  async addUser(name: string): Promise<void> {
    try {
      this.#db.prepare('INSERT INTO users (name, created_at) VALUES (?, ?)').run(name, now());
    } catch (err) {
      throw isUnique(err) ? fail('USER_EXISTS', name) : err;
    }
  }
  async removeUser(name: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0;
  }
  async setUserDisabled(name: string, disabled: boolean): Promise<boolean> {
    return this.#db.prepare('UPDATE users SET disabled = ? WHERE name = ?').run(disabled ? 1 : 0, name).changes > 0;
  }
  async getUser(name: string): Promise<UserRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM users WHERE name = ?').get(name) as Row | undefined;
    return row && toUser(row);
  }
  async listUsers(): Promise<UserRecord[]> {
    return (this.#db.prepare('SELECT * FROM users ORDER BY name').all() as Row[]).map(toUser);
  }

  async addKey(key: Omit<UserKeyRecord, 'addedAt'>): Promise<void> {
    try {
      this.#db
        .prepare('INSERT INTO user_keys (fingerprint, user, type, blob, comment, added_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(key.fingerprint, key.user, key.type, key.blob, key.comment, now());
    } catch (err) {
      throw this.#keyError(err, key.user, key.fingerprint);
    }
  }
  /** A key that belongs to someone (KEY_IN_USE, naming the owner) or to no known user (USER_UNKNOWN). */
  #keyError(err: unknown, user: string, fingerprint: string): unknown {
    if (codeOf(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY') return fail('USER_UNKNOWN', user);
    if (!isUnique(err)) return err;
    const owner = this.#db.prepare('SELECT user FROM user_keys WHERE fingerprint = ?').get(fingerprint) as Row | undefined;
    return fail('KEY_IN_USE', fingerprint, owner?.user ?? '?');
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
    try {
      this.#db
        .prepare('INSERT INTO targets (name, host, port, default_login, allow_sha1_host_key, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(t.name, t.host, t.port, t.defaultLogin, t.allowSha1HostKey ? 1 : 0, now());
    } catch (err) {
      throw isUnique(err) ? fail('TARGET_EXISTS', t.name) : err;
    }
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
  async setAllowSha1HostKey(target: string, allow: boolean): Promise<boolean> {
    return this.#db.prepare('UPDATE targets SET allow_sha1_host_key = ? WHERE name = ?').run(allow ? 1 : 0, target).changes > 0;
  }
  async forgetHostKey(target: string): Promise<boolean> {
    return (
      this.#db.prepare('UPDATE targets SET host_key = NULL, host_key_fingerprint = NULL WHERE name = ?').run(target)
        .changes > 0
    );
  }

  async grant(user: string, target: string, login: string): Promise<void> {
    try {
      this.#db
        .prepare('INSERT OR IGNORE INTO grants (user, target, login, created_at) VALUES (?, ?, ?, ?)')
        .run(user, target, login, now());
    } catch (err) {
      if (codeOf(err) !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw err;
      throw this.#db.prepare('SELECT 1 FROM users WHERE name = ?').get(user) ? fail('TARGET_UNKNOWN', target) : fail('USER_UNKNOWN', user);
    }
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
  async closeSession(auditKey: string, f: { endedAt: string; exitStatus?: number; reason?: string; bytesIn?: number; bytesOut?: number }): Promise<void> {
    this.#db
      .prepare(`UPDATE sessions SET ended_at = ?, exit_status = ?, reason = ?, bytes_in = ?, bytes_out = ?, state = 'closed' WHERE audit_key = ?`)
      .run(f.endedAt, f.exitStatus ?? null, f.reason ?? null, f.bytesIn ?? null, f.bytesOut ?? null, auditKey);
  }
  async interruptLiveSessions(reason: string): Promise<number> {
    return this.#db
      .prepare(`UPDATE sessions SET state = 'interrupted', reason = ?, ended_at = coalesce(ended_at, ?) WHERE state = 'live'`)
      .run(reason, now()).changes;
  }
  async listSessions(f: SessionFilter = {}): Promise<SessionRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.user) where.push('user = ?'), args.push(f.user);
    if (f.target) where.push('target = ?'), args.push(f.target);
    if (f.since) where.push('started_at >= ?'), args.push(f.since);
    if (f.until) where.push('started_at < ?'), args.push(f.until);
    if (f.live) where.push(`state = 'live'`);
    const sql = `SELECT * FROM sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at`;
    return (this.#db.prepare(sql).all(...args) as Row[]).map(toSession);
  }
  async getSession(auditKey: string): Promise<SessionRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM sessions WHERE audit_key = ?').get(auditKey) as Row | undefined;
    return row && toSession(row);
  }

  async requestTermination(auditKey: string, reason: string): Promise<boolean> {
    return this.#db.prepare(`UPDATE sessions SET terminate_reason = ? WHERE audit_key = ? AND state = 'live'`).run(reason, auditKey).changes > 0;
  }

  async openChannel(c: Omit<ChannelRecord, 'state' | 'bytesIn' | 'bytesOut'>): Promise<void> {
    this.#db
      .prepare(`INSERT INTO channels (audit_key, channel, kind, command, recording_path, started_at, state, screen_pending) VALUES (?, ?, ?, ?, ?, ?, 'live', ?)`)
      .run(c.auditKey, c.channel, c.kind, c.command ?? null, c.recordingPath, c.startedAt, c.screenPending ? 1 : 0);
  }
  async sealChannel(auditKey: string, channel: number, f: Pick<ChannelRecord, 'endedAt' | 'exitStatus' | 'bytesIn' | 'bytesOut' | 'sha256' | 'recordingBytes' | 'state'>): Promise<void> {
    this.#db
      .prepare(`UPDATE channels SET ended_at = ?, exit_status = ?, bytes_in = ?, bytes_out = ?, sha256 = ?, recording_bytes = ?, state = ? WHERE audit_key = ? AND channel = ?`)
      .run(f.endedAt ?? null, f.exitStatus ?? null, f.bytesIn, f.bytesOut, f.sha256 ?? null, f.recordingBytes ?? null, f.state, auditKey, channel);
  }
  async channelsOf(auditKey: string): Promise<ChannelRecord[]> {
    return (this.#db.prepare('SELECT * FROM channels WHERE audit_key = ? ORDER BY channel').all(auditKey) as Row[]).map(toChannel);
  }
  async unsealedChannels(): Promise<ChannelRecord[]> {
    return (this.#db.prepare(`SELECT * FROM channels WHERE state = 'live'`).all() as Row[]).map(toChannel);
  }
  async addFileOp(o: FileOpRecord): Promise<void> {
    this.#db
      .prepare('INSERT INTO file_ops (audit_key, channel, at, op, path, to_path, bytes, sha256, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(o.auditKey, o.channel, o.at, o.op, o.path, o.to ?? null, o.bytes ?? null, o.sha256 ?? null, o.result);
  }
  async fileOpsOf(auditKey: string): Promise<FileOpRecord[]> {
    return (this.#db.prepare('SELECT * FROM file_ops WHERE audit_key = ? ORDER BY rowid').all(auditKey) as Row[]).map(toFileOp);
  }
  async addScreenText(auditKey: string, channel: number, rows: IndexedText[]): Promise<void> {
    const screen = this.#db.prepare('INSERT INTO screen_text (text, audit_key, channel, offset) VALUES (?, ?, ?, ?)');
    const typed = this.#db.prepare('INSERT INTO typed_text (text, audit_key, channel, offset) VALUES (?, ?, ?, ?)');
    const indexed = this.#db.prepare('UPDATE channels SET screen_pending = 0 WHERE audit_key = ? AND channel = ?');
    this.#db.transaction(() => {
      rows.forEach((r) => (r.kind === 'typed' ? typed : screen).run(r.text, auditKey, channel, r.offset));
      indexed.run(auditKey, channel);
    })();
  }
  async unindexedScreens(): Promise<ChannelRecord[]> {
    return (this.#db.prepare(`SELECT * FROM channels WHERE screen_pending = 1 AND state IN ('sealed', 'interrupted')`).all() as Row[]).map(toChannel);
  }
  async searchScreen(query: string): Promise<ScreenHit[]> {
    return this.#search('screen_text', query);
  }
  async searchTyped(query: string): Promise<ScreenHit[]> {
    return this.#search('typed_text', query);
  }
  #search(table: 'screen_text' | 'typed_text', query: string): ScreenHit[] {
    // The query is one phrase: quoting keeps FTS5 syntax characters in user input from being operators.
    const phrase = '"' + query.replaceAll('"', '""') + '"';
    return (
      this.#db
        .prepare(`SELECT audit_key, channel, offset, snippet(${table}, 0, '[', ']', '…', 12) AS snippet FROM ${table} WHERE ${table} MATCH ? ORDER BY audit_key, offset LIMIT 200`)
        .all(phrase) as Row[]
    ).map((r) => ({ auditKey: r.audit_key, channel: r.channel, offset: r.offset, snippet: r.snippet }));
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
    try {
      this.#db
        .prepare('INSERT INTO mfa (user, secret_enc, last_step, enrolled_at) VALUES (?, ?, 0, ?) ON CONFLICT (user) DO UPDATE SET secret_enc = excluded.secret_enc, last_step = 0, enrolled_at = excluded.enrolled_at')
        .run(user, secretEnc, now());
    } catch (err) {
      throw codeOf(err) === 'SQLITE_CONSTRAINT_FOREIGNKEY' ? fail('USER_UNKNOWN', user) : err;
    }
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
  async clearFailuresUnlessLocked(user: string, at = new Date()): Promise<UserLock> {
    const now = at.toISOString();
    // One conditional delete; only when it cleared nothing is the lock read (a lock set meanwhile is then seen).
    if (this.#db.prepare('DELETE FROM auth_failures WHERE user = ? AND (locked_until IS NULL OR locked_until <= ?)').run(user, now).changes > 0) return { consecutiveFailures: 0, lockedUntil: undefined };
    const lock = await this.getUserLock(user);
    return lock.lockedUntil && lock.lockedUntil > now ? lock : { consecutiveFailures: 0, lockedUntil: undefined };
  }
  async getUserLock(user: string): Promise<UserLock> {
    const row = this.#db.prepare('SELECT * FROM auth_failures WHERE user = ?').get(user) as Row | undefined;
    return { consecutiveFailures: row?.consecutive ?? 0, lockedUntil: row?.locked_until ?? undefined };
  }

  async banSource(ip: string, until: string): Promise<void> {
    this.#db.prepare('INSERT INTO source_bans (ip, until) VALUES (?, ?) ON CONFLICT (ip) DO UPDATE SET until = max(until, excluded.until)').run(ip, until);
  }
  async sourceBans(at: string): Promise<{ ip: string; until: string }[]> {
    return (this.#db.prepare('SELECT ip, until FROM source_bans WHERE until > ? ORDER BY ip').all(at) as Row[]).map((r) => ({ ip: r.ip, until: r.until }));
  }

  async updateSourceFailures<T>(ip: string, update: (failures: number[]) => { failures: number[]; result: T }): Promise<T> {
    return this.#db.transaction((): T => {
      const row = this.#db.prepare('SELECT failures FROM source_failures WHERE ip = ?').get(ip) as Row | undefined;
      const { failures, result } = update(row ? (JSON.parse(row.failures) as number[]) : []);
      this.#db
        .prepare('INSERT INTO source_failures (ip, failures, last_failure) VALUES (?, ?, ?) ON CONFLICT (ip) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure')
        .run(ip, JSON.stringify(failures), Math.max(0, ...failures));
      return result;
    }).immediate();
  }
  async sweepSourceFailures(before: number): Promise<number> {
    return this.#db.prepare('DELETE FROM source_failures WHERE last_failure < ?').run(before).changes;
  }

  async changeToken(): Promise<number> {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  async spoolAdd(i: { path: string; objectKey: string; kind: 'recording' | 'audit' }): Promise<void> {
    // Re-adding a shipped audit segment makes it due again (it grew); a pending one stays as it is.
    this.#db
      .prepare(`INSERT INTO spool (path, object_key, kind, state, next_attempt_at) VALUES (?, ?, ?, 'pending', ?)
        ON CONFLICT (path) DO UPDATE SET state = 'pending' WHERE spool.state = 'shipped'`)
      .run(i.path, i.objectKey, i.kind, now());
  }
  async spoolDue(at: string): Promise<SpoolItem[]> {
    return (this.#db.prepare(`SELECT * FROM spool WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at`).all(at) as Row[]).map(toSpool);
  }
  async spoolUpdate(path: string, f: Partial<Pick<SpoolItem, 'state' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'shippedAt' | 'shippedSize' | 'sha256' | 'pieces'>>): Promise<void> {
    const cols: Record<string, unknown> = { state: f.state, attempts: f.attempts, last_error: f.lastError, next_attempt_at: f.nextAttemptAt, shipped_at: f.shippedAt, shipped_size: f.shippedSize, sha256: f.sha256, pieces: f.pieces === undefined ? undefined : Number(f.pieces) };
    const set = Object.entries(cols).filter(([, v]) => v !== undefined);
    if (!set.length) return;
    this.#db.prepare(`UPDATE spool SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE path = ?`).run(...set.map(([, v]) => v), path);
  }
  async unspooledRecordings(): Promise<string[]> {
    return (this.#db.prepare(`SELECT recording_path FROM channels WHERE state IN ('sealed', 'interrupted') AND recording_path NOT IN (SELECT path FROM spool)`).all() as Row[]).map((r) => r.recording_path);
  }
  async spoolList(): Promise<SpoolItem[]> {
    return (this.#db.prepare('SELECT * FROM spool ORDER BY next_attempt_at').all() as Row[]).map(toSpool);
  }

  async bucketUsers(): Promise<{ objectKey: string; etag: string; user: string }[]> {
    return (this.#db.prepare('SELECT * FROM bucket_users').all() as Row[]).map((r) => ({ objectKey: r.object_key, etag: r.etag, user: r.user }));
  }
  async applyBucketUser(objectKey: string, etag: string, user: string, keys: Omit<UserKeyRecord, 'addedAt' | 'user'>[]): Promise<'created' | 'updated'> {
    // One transaction: a user is never half-applied (created without keys, or with a mix of old and new keys).
    let adding = '';
    try {
      return this.#applyBucketUser(objectKey, etag, user, keys, (fp) => (adding = fp));
    } catch (err) {
      throw this.#keyError(err, user, adding);
    }
  }
  #applyBucketUser(objectKey: string, etag: string, user: string, keys: Omit<UserKeyRecord, 'addedAt' | 'user'>[], adding: (fp: string) => void): 'created' | 'updated' {
    return this.#db.transaction(() => {
      const exists = this.#db.prepare('SELECT 1 FROM users WHERE name = ?').get(user);
      if (!exists) this.#db.prepare('INSERT INTO users (name, created_at) VALUES (?, ?)').run(user, now());
      this.#db.prepare('DELETE FROM user_keys WHERE user = ?').run(user);
      const add = this.#db.prepare('INSERT INTO user_keys (fingerprint, user, type, blob, comment, added_at) VALUES (?, ?, ?, ?, ?, ?)');
      for (const k of keys) adding(k.fingerprint), add.run(k.fingerprint, user, k.type, k.blob, k.comment, now());
      this.#db.prepare('INSERT INTO bucket_users (object_key, etag, user) VALUES (?, ?, ?) ON CONFLICT (object_key) DO UPDATE SET etag = excluded.etag').run(objectKey, etag, user);
      return exists ? 'updated' : 'created';
    })();
  }
  async removeBucketUser(objectKey: string, user: string): Promise<void> {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM users WHERE name = ?').run(user);
      this.#db.prepare('DELETE FROM bucket_users WHERE object_key = ?').run(objectKey);
    })();
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

const codeOf = (err: unknown) => (err as { code?: string }).code;
const isUnique = (err: unknown) => codeOf(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY' || codeOf(err) === 'SQLITE_CONSTRAINT_UNIQUE';
