// The PostgreSQL schema as numbered migrations, applied at start in one transaction under an advisory lock, so nodes
// that start together apply each once. A migration is SQL, or a function when rows need computing (screen tokens).
import type pg from 'pg';
import { tsvectorLiteral } from './screen-text.js';
import { SESSION_LIST_INDEXES } from './session-query.js';

type Migration = string | ((c: pg.PoolClient) => Promise<void>);

/** Any number, the same on every node: the key of the advisory lock migrations run under. */
const MIGRATION_LOCK = 0x66756d69;

export const MIGRATIONS: Migration[] = [
  `CREATE TABLE users (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false);
   CREATE TABLE user_keys (fingerprint TEXT PRIMARY KEY, "user" TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     type TEXT NOT NULL, blob BYTEA NOT NULL, comment TEXT NOT NULL, added_at TEXT NOT NULL);
   CREATE INDEX user_keys_user ON user_keys("user");
   CREATE TABLE targets (name TEXT PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL, default_login TEXT NOT NULL,
     host_key TEXT, host_key_fingerprint TEXT, created_at TEXT NOT NULL);
   CREATE TABLE grants ("user" TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
     target TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE, login TEXT NOT NULL, created_at TEXT NOT NULL,
     PRIMARY KEY ("user", target, login));
   CREATE TABLE sessions (audit_key TEXT PRIMARY KEY, node TEXT NOT NULL, "user" TEXT NOT NULL, source_ip TEXT NOT NULL,
     source_port INTEGER NOT NULL, target TEXT, login TEXT, started_at TEXT NOT NULL, ended_at TEXT, exit_status INTEGER,
     state TEXT NOT NULL, reason TEXT, bytes_in BIGINT, bytes_out BIGINT, terminate_reason TEXT);
   CREATE INDEX sessions_started ON sessions(started_at);
   CREATE INDEX sessions_live ON sessions(node) WHERE state = 'live';
   CREATE TABLE policy (id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL, updated_at TEXT NOT NULL);
   CREATE TABLE mfa ("user" TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE, secret_enc BYTEA NOT NULL,
     last_step BIGINT NOT NULL DEFAULT 0, enrolled_at TEXT NOT NULL);
   CREATE TABLE auth_failures ("user" TEXT PRIMARY KEY, consecutive INTEGER NOT NULL, locked_until TEXT);
   CREATE TABLE channels (audit_key TEXT NOT NULL, channel INTEGER NOT NULL, node TEXT NOT NULL, kind TEXT NOT NULL,
     command TEXT, recording_path TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, exit_status INTEGER,
     bytes_in BIGINT NOT NULL DEFAULT 0, bytes_out BIGINT NOT NULL DEFAULT 0, sha256 TEXT, recording_bytes BIGINT,
     state TEXT NOT NULL, PRIMARY KEY (audit_key, channel));
   CREATE INDEX channels_node_state ON channels(node, state);
   CREATE TABLE file_ops (id BIGSERIAL PRIMARY KEY, audit_key TEXT NOT NULL, channel INTEGER NOT NULL, at TEXT NOT NULL,
     op TEXT NOT NULL, path TEXT NOT NULL, to_path TEXT, bytes BIGINT, sha256 TEXT, result TEXT NOT NULL);
   CREATE INDEX file_ops_session ON file_ops(audit_key);
   CREATE TABLE screen_text (audit_key TEXT NOT NULL, channel INTEGER NOT NULL, "offset" DOUBLE PRECISION NOT NULL,
     text TEXT NOT NULL, tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED);
   CREATE INDEX screen_text_tsv ON screen_text USING GIN (tsv);
   CREATE TABLE spool (node TEXT NOT NULL, path TEXT NOT NULL, object_key TEXT NOT NULL, kind TEXT NOT NULL,
     state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at TEXT NOT NULL,
     shipped_at TEXT, shipped_size BIGINT, sha256 TEXT, PRIMARY KEY (node, path));
   CREATE TABLE bucket_users (object_key TEXT PRIMARY KEY, etag TEXT NOT NULL, "user" TEXT NOT NULL);
   CREATE SEQUENCE access_changes;
   CREATE FUNCTION access_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('access_changes'); RETURN NULL; END $$;
   CREATE TRIGGER users_changed AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   CREATE TRIGGER keys_changed AFTER INSERT OR UPDATE OR DELETE ON user_keys FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   CREATE TRIGGER targets_changed AFTER INSERT OR UPDATE OR DELETE ON targets FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE ON grants FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE ON policy FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   CREATE TRIGGER session_killed AFTER UPDATE OF terminate_reason ON sessions FOR EACH STATEMENT EXECUTE FUNCTION access_changed();`,
  `CREATE TABLE source_bans (ip TEXT PRIMARY KEY, until TEXT NOT NULL);`,
  // 3. The change token becomes a counter row: a sequence moves when the trigger fires, before the change commits, so a
  //    node could recheck its sessions, still see the old grants and never look again. Screen text gets the tokens of
  //    SQLite's FTS5 (whole runs of letters and digits, lower case, no accents) instead of PostgreSQL's parser, which
  //    keeps '/etc/passwd' or 'web1.internal' as one word; names sort by bytes as in SQLite whatever the collation.
  async (c) => {
    await c.query(`CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
      INSERT INTO change_counter SELECT 1, CASE WHEN is_called THEN last_value ELSE 0 END FROM access_changes;
      CREATE OR REPLACE FUNCTION access_changed() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN UPDATE change_counter SET n = n + 1 WHERE id = 1; RETURN NULL; END $$;
      DROP SEQUENCE access_changes;
      ALTER TABLE screen_text ADD COLUMN id BIGSERIAL, ADD COLUMN tokens tsvector;`);
    for (;;) {
      const { rows } = await c.query('SELECT id, text FROM screen_text WHERE tokens IS NULL LIMIT 1000');
      if (!rows.length) break;
      await c.query('UPDATE screen_text s SET tokens = v.t::tsvector FROM unnest($1::bigint[], $2::text[]) AS v(id, t) WHERE s.id = v.id', [
        rows.map((r) => r.id),
        rows.map((r) => tsvectorLiteral(r.text)),
      ]);
    }
    await c.query(`ALTER TABLE screen_text ALTER COLUMN tokens SET NOT NULL, DROP COLUMN tsv;
      CREATE INDEX screen_text_tokens ON screen_text USING GIN (tokens);`);
  },
  // 4. Failures per source address counted across nodes (the rule is gateway/throttle.ts).
  `CREATE TABLE source_failures (ip TEXT PRIMARY KEY, failures TEXT NOT NULL, last_failure BIGINT NOT NULL);
   CREATE INDEX source_failures_last ON source_failures(last_failure);`,
  // 5. Terminal channels whose screen text is still to be indexed; channels recorded before are taken as indexed. The
  // partial index keeps the look-up at each start from reading every channel ever recorded.
  `ALTER TABLE channels ADD COLUMN screen_pending BOOLEAN NOT NULL DEFAULT false;
   CREATE INDEX channels_screen_pending ON channels(node) WHERE screen_pending;`,
  // 6. Audit segments go up as append-only pieces; those an earlier version uploaded whole (false) are checked against
  //    their shipped size and sha256, then sent again as pieces from their start.
  `ALTER TABLE spool ADD COLUMN pieces BOOLEAN NOT NULL DEFAULT false;`,
  // 7. A target may be allowed to keep a SHA-1 (ssh-rsa) host key; refused otherwise.
  `ALTER TABLE targets ADD COLUMN allow_sha1_host_key BOOLEAN NOT NULL DEFAULT false;`,
  // 8. Web console accounts, with their failures beside them (not SSH users: no row in users).
  `CREATE TABLE web_accounts (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, totp_enc BYTEA,
     last_step BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL, consecutive INTEGER NOT NULL DEFAULT 0, locked_until TEXT);`,
  // 9. Who may enter the console, shared by the nodes: API tokens (their hash only), sessions and pending login steps
  //    (keyed by the hash of the cookie), WebAuthn keys.
  `CREATE TABLE web_tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
     expires_at TEXT, last_used_at TEXT, revoked_at TEXT);
   CREATE TABLE console_sessions (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, last_seen BIGINT NOT NULL);
   CREATE INDEX console_sessions_seen ON console_sessions(last_seen);
   CREATE TABLE web_pending (id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, challenge TEXT NOT NULL, at BIGINT NOT NULL);
   CREATE TABLE webauthn_credentials (id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES web_accounts(name) ON DELETE CASCADE,
     public_key BYTEA NOT NULL, counter BIGINT NOT NULL, transports TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE INDEX webauthn_credentials_account ON webauthn_credentials(account);`,
  // 10. The lines typed on a terminal, each at the time its Enter was pressed, with the same tokens as screen text.
  `CREATE TABLE typed_text (id BIGSERIAL PRIMARY KEY, audit_key TEXT NOT NULL, channel INTEGER NOT NULL, "offset" DOUBLE PRECISION NOT NULL,
     text TEXT NOT NULL, tokens tsvector NOT NULL);
   CREATE INDEX typed_text_tokens ON typed_text USING GIN (tokens);`,
  // 11. User certificates: serials from a sequence (one order for every node), what was issued, revocations (a change
  //    for the live re-check, like a removed key); and targets that fumidai logs in to with a per-session certificate.
  `CREATE SEQUENCE cert_serials;
   CREATE TABLE issued_certs (serial BIGINT PRIMARY KEY, "user" TEXT NOT NULL, key_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
     valid_before TEXT NOT NULL, issued_at TEXT NOT NULL);
   CREATE TABLE cert_revocations (id BIGSERIAL PRIMARY KEY, serial BIGINT, ca TEXT, key_id TEXT, reason TEXT NOT NULL,
     revoked_at TEXT NOT NULL);
   CREATE INDEX cert_revocations_serial ON cert_revocations(serial);
   CREATE INDEX cert_revocations_key_id ON cert_revocations(key_id);
   CREATE TRIGGER cert_revoked AFTER INSERT OR UPDATE OR DELETE ON cert_revocations FOR EACH STATEMENT EXECUTE FUNCTION access_changed();
   ALTER TABLE targets ADD COLUMN cert_login BOOLEAN NOT NULL DEFAULT false;`,
  // 12. The console's sessions list: each group (live, ended) read newest first by index, and its filters by index.
  SESSION_LIST_INDEXES,
  // 13. Just-in-time access requests: an approval is a change for the live re-check, like a grant.
  `CREATE TABLE access_requests (id BIGSERIAL PRIMARY KEY, "user" TEXT NOT NULL, target TEXT NOT NULL, login TEXT NOT NULL,
     rule TEXT NOT NULL, for_sec INTEGER NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
     pending_until TEXT NOT NULL, approvers TEXT NOT NULL DEFAULT '[]', decided_by TEXT, decision_reason TEXT, decided_at TEXT,
     granted_until TEXT, expiry_claimed BOOLEAN NOT NULL DEFAULT false);
   CREATE INDEX access_requests_user ON access_requests("user", state);
   CREATE TRIGGER access_requests_changed AFTER INSERT OR UPDATE OR DELETE ON access_requests FOR EACH STATEMENT EXECUTE FUNCTION access_changed();`,
  // 14. Alerts spooled before delivery (as SQLite's 18), claimed by one node at a time.
  `CREATE TABLE alerts (id BIGSERIAL PRIMARY KEY, rule TEXT NOT NULL, key TEXT NOT NULL, severity TEXT NOT NULL,
     summary TEXT NOT NULL, event TEXT NOT NULL, sinks TEXT NOT NULL, count INTEGER NOT NULL DEFAULT 1, first_at BIGINT NOT NULL,
     last_at BIGINT NOT NULL, not_before BIGINT NOT NULL, sealed_at BIGINT);
   CREATE UNIQUE INDEX alerts_open ON alerts(rule, key) WHERE sealed_at IS NULL;
   CREATE INDEX alerts_sealed ON alerts(rule, key, sealed_at);
   CREATE TABLE alert_deliveries (alert_id BIGINT NOT NULL REFERENCES alerts(id), sink TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
     attempts INTEGER NOT NULL DEFAULT 0, next_at BIGINT NOT NULL, lease_until BIGINT NOT NULL DEFAULT 0, leased_by TEXT,
     last_error TEXT, delivered_at BIGINT, PRIMARY KEY (alert_id, sink));
   CREATE INDEX alert_deliveries_due ON alert_deliveries(state, next_at);
   CREATE TABLE alert_addresses ("user" TEXT NOT NULL, address TEXT NOT NULL, last_at BIGINT NOT NULL, PRIMARY KEY ("user", address));`,
  // 15. How a console session was opened: a password account's, or a single sign-on user's (no console account).
  `ALTER TABLE console_sessions ADD COLUMN via TEXT NOT NULL DEFAULT 'password';`,
  // 16. Shell lines held for an approver (policy `on: shell` rules with `action: hold`).
  `CREATE TABLE line_holds (id BIGSERIAL PRIMARY KEY, audit_key TEXT NOT NULL, "user" TEXT NOT NULL, target TEXT NOT NULL,
     login TEXT NOT NULL, rule TEXT NOT NULL, line TEXT NOT NULL, approvers TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT NULL,
     pending_until TEXT NOT NULL, decided_by TEXT, decision_reason TEXT, decided_at TEXT);
   CREATE INDEX line_holds_state ON line_holds(state);`,
];

export async function migrate(c: pg.PoolClient): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await c.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const { rows } = await c.query('SELECT version FROM schema_version');
  let version: number = rows[0]?.version ?? 0;
  if (rows.length === 0) await c.query('INSERT INTO schema_version VALUES (0)');
  for (; version < MIGRATIONS.length; version++) {
    const m = MIGRATIONS[version]!;
    if (typeof m === 'string') await c.query(m);
    else await m(c);
  }
  await c.query('UPDATE schema_version SET version = $1', [version]);
}
