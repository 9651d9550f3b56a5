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
  // 13. Who may enter the console, shared by the nodes: API tokens (their hash only), sessions and pending login steps
  //     (keyed by the hash of the cookie), WebAuthn keys.
  `CREATE TABLE web_tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
     expires_at TEXT, last_used_at TEXT, revoked_at TEXT);
   CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, last_seen INTEGER NOT NULL);
   CREATE INDEX console_sessions_seen ON console_sessions(last_seen);
   CREATE TABLE web_pending (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, challenge TEXT NOT NULL, at INTEGER NOT NULL);
   CREATE TABLE webauthn_credentials (id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES web_accounts(name) ON DELETE CASCADE,
     public_key BLOB NOT NULL, counter INTEGER NOT NULL, transports TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE INDEX webauthn_credentials_account ON webauthn_credentials(account);`,
  // 14. The lines typed on a terminal, each at the time its Enter was pressed, searchable as screen text is (channels
  //     indexed before this version have none: their typed lines are still read from the recording by `sessions show`).
  `CREATE VIRTUAL TABLE typed_text USING fts5(text, audit_key UNINDEXED, channel UNINDEXED, offset UNINDEXED);`,
  // 15. User certificates: serials (AUTOINCREMENT never gives one twice, even after a delete), what was issued,
  //     revocations; and targets that fumidai logs in to with a per-session certificate.
  `CREATE TABLE cert_serials (serial INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL);
   CREATE TABLE issued_certs (serial INTEGER PRIMARY KEY, user TEXT NOT NULL, key_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
     valid_before TEXT NOT NULL, issued_at TEXT NOT NULL);
   CREATE TABLE cert_revocations (id INTEGER PRIMARY KEY AUTOINCREMENT, serial INTEGER, ca TEXT, key_id TEXT,
     reason TEXT NOT NULL, revoked_at TEXT NOT NULL);
   CREATE INDEX cert_revocations_serial ON cert_revocations(serial);
   CREATE INDEX cert_revocations_key_id ON cert_revocations(key_id);
   ALTER TABLE targets ADD COLUMN cert_login INTEGER NOT NULL DEFAULT 0;`,
  // 16. The console's sessions list: each group (live, ended) read newest first by index, and its filters by index.
  SESSION_LIST_INDEXES,
  // 17. Just-in-time access requests: pending, then approved (a time-bound grant) or denied; approvers as a JSON list.
  `CREATE TABLE access_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, target TEXT NOT NULL,
     login TEXT NOT NULL, rule TEXT NOT NULL, for_sec INTEGER NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
     created_at TEXT NOT NULL, pending_until TEXT NOT NULL, approvers TEXT NOT NULL DEFAULT '[]', decided_by TEXT,
     decision_reason TEXT, decided_at TEXT, granted_until TEXT, expiry_claimed INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX access_requests_user ON access_requests(user, state);`,
  // 18. Alerts spooled before delivery: at most one open (unsealed) alert per rule and key, where hits fold into a
  //     count; one delivery per sink; and the addresses each user logged in from (for the new-address rule).
  `CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL, key TEXT NOT NULL, severity TEXT NOT NULL,
     summary TEXT NOT NULL, event TEXT NOT NULL, sinks TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1, first_at INTEGER NOT NULL,
     last_at INTEGER NOT NULL, not_before INTEGER NOT NULL, sealed_at INTEGER);
   CREATE UNIQUE INDEX alerts_open ON alerts(rule, key) WHERE sealed_at IS NULL;
   CREATE INDEX alerts_sealed ON alerts(rule, key, sealed_at);
   CREATE TABLE alert_deliveries (alert_id INTEGER NOT NULL REFERENCES alerts(id), sink TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
     attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0, leased_by TEXT,
     last_error TEXT, delivered_at INTEGER, PRIMARY KEY (alert_id, sink));
   CREATE INDEX alert_deliveries_due ON alert_deliveries(state, next_at);
   CREATE TABLE alert_addresses (user TEXT NOT NULL, address TEXT NOT NULL, last_at INTEGER NOT NULL, PRIMARY KEY (user, address));`,
  // 19. How a console session was opened: a password account's, or a single sign-on user's (no console account).
  `ALTER TABLE console_sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'password';`,
  // 20. Shell lines held for an approver (policy `on: shell` rules with `action: hold`).
  `CREATE TABLE line_holds (id INTEGER PRIMARY KEY AUTOINCREMENT, audit_key TEXT NOT NULL, "user" TEXT NOT NULL, target TEXT NOT NULL,
     login TEXT NOT NULL, rule TEXT NOT NULL, line TEXT NOT NULL, approvers TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
     pending_until TEXT NOT NULL, decided_by TEXT, decision_reason TEXT, decided_at TEXT);
   CREATE INDEX line_holds_state ON line_holds(state);`,
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
