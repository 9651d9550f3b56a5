// The shared store for several nodes: PostgreSQL. Same contract as the SQLite store (test/store.test.ts runs against
// both). What differs is what sharing needs: sessions, channels and the shipping spool carry the node that owns them
// (a node recovers, interrupts and ships only its own: the recording files are on its disk), migrations run under an
// advisory lock (nodes may start at once), and changeToken() is a counter that triggers advance on every change that
// can revoke access (in the changing transaction, so a node never sees the new token before the change itself), so each
// node notices another node's or the CLI's change within its polling interval. Screen text is indexed with the same
// tokens as SQLite's FTS5 (screen-text.ts), so a search finds the same rows on either store.
import pg from 'pg';
import { fail } from '../errors.js';
import type { ChannelRecord, FileOpRecord, IndexedText, GrantRecord, ScreenHit, SessionFilter, SessionIndex, SessionRecord, SpoolItem, Store, TargetRecord, UserKeyRecord, UserLock, UserRecord, WebAccounts, WebIdentity, Certificates, AccessRequests } from './store.js';
import { toChannel, toFileOp, toKey, toSession, toSpool, toTarget, toUser, type Row } from './rows.js';
import { migrate } from './pg-migrations.js';
import { pgWebAccounts } from './web-accounts-pg.js';
import { addTexts, searchText } from './pg-text.js';
import { pgWebIdentity } from './web-ident-pg.js'; // tokens, console sessions, WebAuthn keys
import { pgCertificates } from './certs-pg.js';
import { pgSessionList } from './session-list-pg.js';
import { pgAccessRequests } from './access-requests-pg.js';
import { pgAlerts } from './alerts-pg.js';
import type { AlertSpool } from './alert-types.js';
import { pgLineHolds } from './line-holds.js';
import type { LineHolds } from './line-hold-types.js';

pg.types.setTypeParser(20, (v) => Number(v)); // BIGINT: byte counts stay far below 2^53
const now = () => new Date().toISOString();

// Constraint violations become the same typed errors as in the SQLite store.
const UNIQUE = '23505';
const FOREIGN_KEY = '23503';
const codeOf = (err: unknown) => (err as { code?: string }).code;
export interface PgStore extends WebAccounts, WebIdentity, Certificates, AccessRequests, AlertSpool, LineHolds, Pick<SessionIndex, 'sessionPage'> {} // assigned in the constructor
export class PgStore implements Store {
  #pool: pg.Pool;
  #node: string;

  private constructor(pool: pg.Pool, node: string) {
    this.#pool = pool;
    this.#node = node;
    // Roles in their own modules: console accounts and identity, certificates, access requests, sessions list pages.
    Object.assign(this, pgWebAccounts(pool), pgWebIdentity(pool), pgCertificates(pool), pgAccessRequests(pool), pgAlerts(pool), pgLineHolds(pool), pgSessionList(pool));
  }

  /** Connects (the password from PGPASSWORD or ~/.pgpass, never from a log) and brings the schema up to date. */
  static async open(url: string, node: string): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: 5000 });
    pool.on('error', () => undefined); // an idle client's broken connection is replaced on next use
    const store = new PgStore(pool, node);
    try {
      await store.#migrate();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  async #migrate(): Promise<void> {
    await this.#tx((c) => migrate(c));
  }

  async #tx<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async #rows(sql: string, args: unknown[] = []): Promise<Row[]> {
    return (await this.#pool.query(sql, args)).rows;
  }
  async #one(sql: string, args: unknown[] = []): Promise<Row | undefined> {
    return (await this.#rows(sql, args))[0];
  }
  async #count(sql: string, args: unknown[] = []): Promise<number> {
    return (await this.#pool.query(sql, args)).rowCount ?? 0;
  }

  async addUser(name: string): Promise<void> {
    try {
      await this.#pool.query('INSERT INTO users (name, created_at) VALUES ($1, $2)', [name, now()]);
    } catch (err) {
      throw codeOf(err) === UNIQUE ? fail('USER_EXISTS', name) : err;
    }
  }
  async removeUser(name: string): Promise<boolean> {
    return (await this.#count('DELETE FROM users WHERE name = $1', [name])) > 0;
  }
  async setUserDisabled(name: string, disabled: boolean): Promise<boolean> {
    return (await this.#count('UPDATE users SET disabled = $1 WHERE name = $2', [disabled, name])) > 0;
  }
  async getUser(name: string): Promise<UserRecord | undefined> {
    const r = await this.#one('SELECT * FROM users WHERE name = $1', [name]);
    return r && toUser(r);
  }
  async listUsers(): Promise<UserRecord[]> {
    return (await this.#rows('SELECT * FROM users ORDER BY name COLLATE "C"')).map(toUser);
  }

  async addKey(key: Omit<UserKeyRecord, 'addedAt'>): Promise<void> {
    try {
      await this.#insertKey(this.#pool, key.user, key);
    } catch (err) {
      throw await this.#keyError(err, key.user, key.fingerprint);
    }
  }
  #insertKey(on: pg.Pool | pg.PoolClient, user: string, k: Omit<UserKeyRecord, 'addedAt' | 'user'>): Promise<unknown> {
    return on.query('INSERT INTO user_keys (fingerprint, "user", type, blob, comment, added_at) VALUES ($1, $2, $3, $4, $5, $6)', [k.fingerprint, user, k.type, k.blob, k.comment, now()]);
  }
  /** A key that belongs to someone (KEY_IN_USE, naming the owner) or to no known user (USER_UNKNOWN), as with SQLite. */
  async #keyError(err: unknown, user: string, fingerprint: string): Promise<unknown> {
    if (codeOf(err) === FOREIGN_KEY) return fail('USER_UNKNOWN', user);
    if (codeOf(err) !== UNIQUE) return err;
    return fail('KEY_IN_USE', fingerprint, (await this.findKey(fingerprint))?.user ?? '?');
  }
  async keysOf(user: string): Promise<UserKeyRecord[]> {
    return (await this.#rows('SELECT * FROM user_keys WHERE "user" = $1 ORDER BY added_at', [user])).map(toKey);
  }
  async findKey(fingerprint: string): Promise<UserKeyRecord | undefined> {
    const r = await this.#one('SELECT * FROM user_keys WHERE fingerprint = $1', [fingerprint]);
    return r && toKey(r);
  }
  async removeKey(user: string, fingerprint: string): Promise<boolean> {
    return (await this.#count('DELETE FROM user_keys WHERE "user" = $1 AND fingerprint = $2', [user, fingerprint])) > 0;
  }

  async addTarget(t: Omit<TargetRecord, 'createdAt' | 'hostKey' | 'hostKeyFingerprint'>): Promise<void> {
    try {
      await this.#pool.query('INSERT INTO targets (name, host, port, default_login, allow_sha1_host_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [t.name, t.host, t.port, t.defaultLogin, Boolean(t.allowSha1HostKey), now()]);
    } catch (err) {
      throw codeOf(err) === UNIQUE ? fail('TARGET_EXISTS', t.name) : err;
    }
  }
  async removeTarget(name: string): Promise<boolean> {
    return (await this.#count('DELETE FROM targets WHERE name = $1', [name])) > 0;
  }
  async getTarget(name: string): Promise<TargetRecord | undefined> {
    const r = await this.#one('SELECT * FROM targets WHERE name = $1', [name]);
    return r && toTarget(r);
  }
  async listTargets(): Promise<TargetRecord[]> {
    return (await this.#rows('SELECT * FROM targets ORDER BY name COLLATE "C"')).map(toTarget);
  }
  async pinHostKey(target: string, hostKey: string, fingerprint: string): Promise<void> {
    // Only the first pin wins, whichever node makes it.
    await this.#pool.query('UPDATE targets SET host_key = $1, host_key_fingerprint = $2 WHERE name = $3 AND host_key IS NULL', [hostKey, fingerprint, target]);
  }
  async setAllowSha1HostKey(target: string, allow: boolean): Promise<boolean> {
    return (await this.#count('UPDATE targets SET allow_sha1_host_key = $1 WHERE name = $2', [allow, target])) > 0;
  }
  async forgetHostKey(target: string): Promise<boolean> {
    return (await this.#count('UPDATE targets SET host_key = NULL, host_key_fingerprint = NULL WHERE name = $1', [target])) > 0;
  }

  async grant(user: string, target: string, login: string): Promise<void> {
    try {
      await this.#pool.query('INSERT INTO grants ("user", target, login, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [user, target, login, now()]);
    } catch (err) {
      if (codeOf(err) !== FOREIGN_KEY) throw err;
      throw (await this.getUser(user)) ? fail('TARGET_UNKNOWN', target) : fail('USER_UNKNOWN', user);
    }
  }
  async revoke(user: string, target: string, login?: string): Promise<number> {
    if (login === undefined) return this.#count('DELETE FROM grants WHERE "user" = $1 AND target = $2', [user, target]);
    return this.#count('DELETE FROM grants WHERE "user" = $1 AND target = $2 AND login = $3', [user, target, login]);
  }
  async grantsOf(user: string): Promise<GrantRecord[]> {
    return (await this.#rows('SELECT * FROM grants WHERE "user" = $1 ORDER BY target COLLATE "C", login COLLATE "C"', [user])).map((r) => ({ user: r.user, target: r.target, login: r.login, createdAt: r.created_at }));
  }

  async openSession(s: Omit<SessionRecord, 'state'>): Promise<void> {
    await this.#pool.query(
      `INSERT INTO sessions (audit_key, node, "user", source_ip, source_port, target, login, started_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'live')`,
      [s.auditKey, this.#node, s.user, s.sourceIp, s.sourcePort, s.target ?? null, s.login ?? null, s.startedAt],
    );
  }
  async updateSession(auditKey: string, f: Partial<Pick<SessionRecord, 'target' | 'login'>>): Promise<void> {
    await this.#pool.query('UPDATE sessions SET target = coalesce($1, target), login = coalesce($2, login) WHERE audit_key = $3', [f.target ?? null, f.login ?? null, auditKey]);
  }
  async closeSession(auditKey: string, f: { endedAt: string; exitStatus?: number; reason?: string; bytesIn?: number; bytesOut?: number }): Promise<void> {
    await this.#pool.query(
      `UPDATE sessions SET ended_at = $1, exit_status = $2, reason = $3, bytes_in = $4, bytes_out = $5, state = 'closed' WHERE audit_key = $6`,
      [f.endedAt, f.exitStatus ?? null, f.reason ?? null, f.bytesIn ?? null, f.bytesOut ?? null, auditKey],
    );
  }
  async interruptLiveSessions(reason: string): Promise<number> {
    // Only this node's: the others' sessions are alive on their nodes.
    return this.#count(`UPDATE sessions SET state = 'interrupted', reason = $1, ended_at = coalesce(ended_at, $2) WHERE state = 'live' AND node = $3`, [reason, now(), this.#node]);
  }
  async listSessions(f: SessionFilter = {}): Promise<SessionRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, v: unknown) => where.push(sql.replace('?', `$${args.push(v)}`));
    if (f.user) add('"user" = ?', f.user);
    if (f.target) add('target = ?', f.target);
    if (f.since) add('started_at >= ?', f.since);
    if (f.until) add('started_at < ?', f.until);
    if (f.live) where.push(`state = 'live'`);
    return (await this.#rows(`SELECT * FROM sessions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY started_at`, args)).map(toSession);
  }
  async getSession(auditKey: string): Promise<SessionRecord | undefined> {
    const r = await this.#one('SELECT * FROM sessions WHERE audit_key = $1', [auditKey]);
    return r && toSession(r);
  }
  async requestTermination(auditKey: string, reason: string): Promise<boolean> {
    return (await this.#count(`UPDATE sessions SET terminate_reason = $1 WHERE audit_key = $2 AND state = 'live'`, [reason, auditKey])) > 0;
  }

  async openChannel(c: Omit<ChannelRecord, 'state' | 'bytesIn' | 'bytesOut'>): Promise<void> {
    await this.#pool.query(
      `INSERT INTO channels (audit_key, channel, node, kind, command, recording_path, started_at, state, screen_pending) VALUES ($1, $2, $3, $4, $5, $6, $7, 'live', $8)`,
      [c.auditKey, c.channel, this.#node, c.kind, c.command ?? null, c.recordingPath, c.startedAt, Boolean(c.screenPending)],
    );
  }
  async sealChannel(auditKey: string, channel: number, f: Pick<ChannelRecord, 'endedAt' | 'exitStatus' | 'bytesIn' | 'bytesOut' | 'sha256' | 'recordingBytes' | 'state'>): Promise<void> {
    await this.#pool.query(
      `UPDATE channels SET ended_at = $1, exit_status = $2, bytes_in = $3, bytes_out = $4, sha256 = $5, recording_bytes = $6, state = $7 WHERE audit_key = $8 AND channel = $9`,
      [f.endedAt ?? null, f.exitStatus ?? null, f.bytesIn, f.bytesOut, f.sha256 ?? null, f.recordingBytes ?? null, f.state, auditKey, channel],
    );
  }
  async channelsOf(auditKey: string): Promise<ChannelRecord[]> {
    return (await this.#rows('SELECT * FROM channels WHERE audit_key = $1 ORDER BY channel', [auditKey])).map(toChannel);
  }
  async unsealedChannels(): Promise<ChannelRecord[]> {
    return (await this.#rows(`SELECT * FROM channels WHERE state = 'live' AND node = $1`, [this.#node])).map(toChannel);
  }
  async addFileOp(o: FileOpRecord): Promise<void> {
    await this.#pool.query(
      'INSERT INTO file_ops (audit_key, channel, at, op, path, to_path, bytes, sha256, result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [o.auditKey, o.channel, o.at, o.op, o.path, o.to ?? null, o.bytes ?? null, o.sha256 ?? null, o.result],
    );
  }
  async fileOpsOf(auditKey: string): Promise<FileOpRecord[]> {
    return (await this.#rows('SELECT * FROM file_ops WHERE audit_key = $1 ORDER BY id', [auditKey])).map(toFileOp);
  }
  async addScreenText(auditKey: string, channel: number, rows: IndexedText[]): Promise<void> {
    await addTexts(this.#pool, auditKey, channel, rows);
  }
  async unindexedScreens(): Promise<ChannelRecord[]> {
    return (await this.#rows(`SELECT * FROM channels WHERE screen_pending AND state IN ('sealed', 'interrupted') AND node = $1`, [this.#node])).map(toChannel);
  }
  searchScreen(query: string): Promise<ScreenHit[]> {
    return searchText(this.#pool, 'screen_text', query);
  }
  searchTyped(query: string): Promise<ScreenHit[]> {
    return searchText(this.#pool, 'typed_text', query);
  }
  async getPolicyDocument(): Promise<{ document: string; updatedAt: string } | undefined> {
    const r = await this.#one('SELECT document, updated_at FROM policy WHERE id = 1');
    return r && { document: r.document, updatedAt: r.updated_at };
  }
  async setPolicyDocument(document: string): Promise<void> {
    await this.#pool.query('INSERT INTO policy (id, document, updated_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at', [document, now()]);
  }

  async getMfa(user: string): Promise<{ secretEnc: Buffer; lastStep: number; enrolledAt: string } | undefined> {
    const r = await this.#one('SELECT * FROM mfa WHERE "user" = $1', [user]);
    return r && { secretEnc: r.secret_enc, lastStep: r.last_step, enrolledAt: r.enrolled_at };
  }
  async setMfa(user: string, secretEnc: Buffer): Promise<void> {
    try {
      await this.#pool.query(
        'INSERT INTO mfa ("user", secret_enc, last_step, enrolled_at) VALUES ($1, $2, 0, $3) ON CONFLICT ("user") DO UPDATE SET secret_enc = excluded.secret_enc, last_step = 0, enrolled_at = excluded.enrolled_at',
        [user, secretEnc, now()],
      );
    } catch (err) {
      throw codeOf(err) === FOREIGN_KEY ? fail('USER_UNKNOWN', user) : err;
    }
  }
  async deleteMfa(user: string): Promise<boolean> {
    return (await this.#count('DELETE FROM mfa WHERE "user" = $1', [user])) > 0;
  }
  async useMfaStep(user: string, step: number): Promise<boolean> {
    // One statement: two nodes given the same code at once cannot both accept it.
    return (await this.#count('UPDATE mfa SET last_step = $1 WHERE "user" = $2 AND last_step < $1', [step, user])) > 0;
  }

  async recordAuthFailure(user: string, lockAfter: number, lockSeconds: number, at = new Date()): Promise<UserLock> {
    const lockUntil = new Date(at.getTime() + lockSeconds * 1000).toISOString();
    // One upsert, atomic across nodes: failures on every node count toward the same lockout.
    const r = (await this.#one(
      `INSERT INTO auth_failures ("user", consecutive, locked_until) VALUES ($1, 1, CASE WHEN 1 >= $2 THEN $3 END)
       ON CONFLICT ("user") DO UPDATE SET consecutive = auth_failures.consecutive + 1,
         locked_until = CASE WHEN auth_failures.consecutive + 1 >= $2 THEN $3 ELSE auth_failures.locked_until END
       RETURNING consecutive, locked_until`,
      [user, lockAfter, lockUntil],
    ))!;
    return { consecutiveFailures: r.consecutive, lockedUntil: r.locked_until ?? undefined };
  }
  async clearAuthFailures(user: string): Promise<void> {
    await this.#pool.query('DELETE FROM auth_failures WHERE "user" = $1', [user]);
  }
  async clearFailuresUnlessLocked(user: string, at = new Date()): Promise<UserLock> {
    const now = at.toISOString();
    // The delete re-checks a row another node changed meanwhile; only when it cleared nothing is the lock read, by a
    // later statement that sees that node's lock.
    if ((await this.#count('DELETE FROM auth_failures WHERE "user" = $1 AND (locked_until IS NULL OR locked_until <= $2)', [user, now])) > 0) return { consecutiveFailures: 0, lockedUntil: undefined };
    const lock = await this.getUserLock(user);
    return lock.lockedUntil && lock.lockedUntil > now ? lock : { consecutiveFailures: 0, lockedUntil: undefined };
  }
  async getUserLock(user: string): Promise<UserLock> {
    const r = await this.#one('SELECT * FROM auth_failures WHERE "user" = $1', [user]);
    return { consecutiveFailures: r?.consecutive ?? 0, lockedUntil: r?.locked_until ?? undefined };
  }

  async banSource(ip: string, until: string): Promise<void> {
    await this.#pool.query('INSERT INTO source_bans (ip, until) VALUES ($1, $2) ON CONFLICT (ip) DO UPDATE SET until = greatest(source_bans.until, excluded.until)', [ip, until]);
  }
  async sourceBans(at: string): Promise<{ ip: string; until: string }[]> {
    return (await this.#rows('SELECT ip, until FROM source_bans WHERE until > $1 ORDER BY ip COLLATE "C"', [at])).map((r) => ({ ip: r.ip, until: r.until }));
  }

  async updateSourceFailures<T>(ip: string, update: (failures: number[]) => { failures: number[]; result: T }): Promise<T> {
    // The address's row is locked while the rule runs: failures seen by several nodes at once all count.
    return this.#tx(async (c) => {
      await c.query(`INSERT INTO source_failures (ip, failures, last_failure) VALUES ($1, '[]', 0) ON CONFLICT DO NOTHING`, [ip]);
      const row = (await c.query('SELECT failures FROM source_failures WHERE ip = $1 FOR UPDATE', [ip])).rows[0] as Row;
      const { failures, result } = update(JSON.parse(row.failures) as number[]);
      await c.query('UPDATE source_failures SET failures = $2, last_failure = $3 WHERE ip = $1', [ip, JSON.stringify(failures), Math.max(0, ...failures)]);
      return result;
    });
  }
  async sweepSourceFailures(before: number): Promise<number> {
    return this.#count('DELETE FROM source_failures WHERE last_failure < $1', [before]);
  }

  async changeToken(): Promise<number> {
    return (await this.#one('SELECT n FROM change_counter WHERE id = 1'))!.n;
  }

  async spoolAdd(i: { path: string; objectKey: string; kind: 'recording' | 'audit' }): Promise<void> {
    await this.#pool.query(
      `INSERT INTO spool (node, path, object_key, kind, state, next_attempt_at) VALUES ($1, $2, $3, $4, 'pending', $5)
       ON CONFLICT (node, path) DO UPDATE SET state = 'pending' WHERE spool.state = 'shipped'`,
      [this.#node, i.path, i.objectKey, i.kind, now()],
    );
  }
  async spoolDue(at: string): Promise<SpoolItem[]> {
    return (await this.#rows(`SELECT * FROM spool WHERE node = $1 AND state = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at`, [this.#node, at])).map(toSpool);
  }
  async spoolUpdate(path: string, f: Partial<Pick<SpoolItem, 'state' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'shippedAt' | 'shippedSize' | 'sha256' | 'pieces'>>): Promise<void> {
    const cols: Record<string, unknown> = { state: f.state, attempts: f.attempts, last_error: f.lastError, next_attempt_at: f.nextAttemptAt, shipped_at: f.shippedAt, shipped_size: f.shippedSize, sha256: f.sha256, pieces: f.pieces };
    const set = Object.entries(cols).filter(([, v]) => v !== undefined);
    if (!set.length) return;
    await this.#pool.query(`UPDATE spool SET ${set.map(([k], i) => `${k} = $${i + 3}`).join(', ')} WHERE node = $1 AND path = $2`, [this.#node, path, ...set.map(([, v]) => v)]);
  }
  async unspooledRecordings(): Promise<string[]> {
    return (
      await this.#rows(
        `SELECT recording_path FROM channels c WHERE c.node = $1 AND c.state IN ('sealed', 'interrupted')
         AND NOT EXISTS (SELECT 1 FROM spool s WHERE s.node = c.node AND s.path = c.recording_path)`,
        [this.#node],
      )
    ).map((r) => r.recording_path);
  }
  async spoolList(): Promise<SpoolItem[]> {
    return (await this.#rows('SELECT * FROM spool WHERE node = $1 ORDER BY next_attempt_at', [this.#node])).map(toSpool);
  }

  async bucketUsers(): Promise<{ objectKey: string; etag: string; user: string }[]> {
    return (await this.#rows('SELECT * FROM bucket_users')).map((r) => ({ objectKey: r.object_key, etag: r.etag, user: r.user }));
  }
  async applyBucketUser(objectKey: string, etag: string, user: string, keys: Omit<UserKeyRecord, 'addedAt' | 'user'>[]): Promise<'created' | 'updated'> {
    // One transaction: a user is never half-applied, even with two nodes syncing the same bucket.
    let adding = '';
    try {
      return await this.#tx(async (c) => {
        const created = (await c.query('INSERT INTO users (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [user, now()])).rowCount === 1;
        await c.query('DELETE FROM user_keys WHERE "user" = $1', [user]);
        for (const k of keys) {
          adding = k.fingerprint;
          await this.#insertKey(c, user, k);
        }
        await c.query('INSERT INTO bucket_users (object_key, etag, "user") VALUES ($1, $2, $3) ON CONFLICT (object_key) DO UPDATE SET etag = excluded.etag', [objectKey, etag, user]);
        return created ? 'created' : 'updated';
      });
    } catch (err) {
      throw await this.#keyError(err, user, adding);
    }
  }
  async removeBucketUser(objectKey: string, user: string): Promise<void> {
    await this.#tx(async (c) => {
      await c.query('DELETE FROM users WHERE name = $1', [user]);
      await c.query('DELETE FROM bucket_users WHERE object_key = $1', [objectKey]);
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
