// The SQLite schema as numbered migrations: PRAGMA user_version counts those applied, and each runs in one transaction
// with the version it sets, so a start cut short resumes where it stopped and an existing file is never migrated twice.
import type Database from 'better-sqlite3';
import { SESSION_LIST_INDEXES } from './session-query.js';

export const MIGRATIONS: string[] = [
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
  `ALTER TABLE sessions ADD COLUMN bytes_in INTEGER;
   ALTER TABLE sessions ADD COLUMN bytes_out INTEGER;
   CREATE TABLE channels (audit_key TEXT NOT NULL, channel INTEGER NOT NULL, kind TEXT NOT NULL, command TEXT,
     recording_path TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, exit_status INTEGER,
     bytes_in INTEGER NOT NULL DEFAULT 0, bytes_out INTEGER NOT NULL DEFAULT 0, sha256 TEXT, recording_bytes INTEGER,
     state TEXT NOT NULL, PRIMARY KEY (audit_key, channel));
   CREATE INDEX channels_state ON channels(state);
   CREATE TABLE file_ops (audit_key TEXT NOT NULL, channel INTEGER NOT NULL, at TEXT NOT NULL, op TEXT NOT NULL,
     path TEXT NOT NULL, to_path TEXT, bytes INTEGER, sha256 TEXT, result TEXT NOT NULL);
   CREATE INDEX file_ops_session ON file_ops(audit_key);
   CREATE VIRTUAL TABLE screen_text USING fts5(text, audit_key UNINDEXED, channel UNINDEXED, offset UNINDEXED);`,
  `CREATE TABLE spool (path TEXT PRIMARY KEY, object_key TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at TEXT NOT NULL, shipped_at TEXT,
     shipped_size INTEGER, sha256 TEXT);
   CREATE INDEX spool_due ON spool(state, next_attempt_at);`,
  `CREATE TABLE bucket_users (object_key TEXT PRIMARY KEY, etag TEXT NOT NULL, user TEXT NOT NULL);`,
  `ALTER TABLE sessions ADD COLUMN terminate_reason TEXT;`,
  `CREATE TABLE source_bans (ip TEXT PRIMARY KEY, until TEXT NOT NULL);`,
  `CREATE TABLE source_failures (ip TEXT PRIMARY KEY, failures TEXT NOT NULL, last_failure INTEGER NOT NULL);
   CREATE INDEX source_failures_last ON source_failures(last_failure);`,
  // 9. Channels recorded before this version are taken as indexed. The partial index keeps the look-up at each start
  //    from reading every channel ever recorded.
  `ALTER TABLE channels ADD COLUMN screen_pending INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX channels_screen_pending ON channels(state) WHERE screen_pending = 1;`,
  // 10. Audit segments go up as append-only pieces; those an earlier version uploaded whole (0) are checked against
  //     their shipped size and sha256, then sent again as pieces from their start.
  `ALTER TABLE spool ADD COLUMN pieces INTEGER NOT NULL DEFAULT 0;`,
  // 11. A target may be allowed to keep a SHA-1 (ssh-rsa) host key; refused otherwise.
  `ALTER TABLE targets ADD COLUMN allow_sha1_host_key INTEGER NOT NULL DEFAULT 0;`,
  // 12. Web console accounts, with their failures beside them (not SSH users: no row in users).
  `CREATE TABLE web_accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, totp_enc BLOB,
     last_step INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, consecutive INTEGER NOT NULL DEFAULT 0, locked_until TEXT);`,
  // 13. The console's sessions list: each group (live, ended) read newest first by index, and its filters by index.
  SESSION_LIST_INDEXES,
];

export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
