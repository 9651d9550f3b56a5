// Who may enter the web console, in the SQLite store: API tokens, console sessions, pending login steps, WebAuthn keys.
import type Database from 'better-sqlite3';
import { fail } from '../errors.js';
import type { Row } from './rows.js';
import type { KeyRemoval, WebAuthnCredentialRecord, WebIdentity, WebTokenRecord } from './store.js';

export const toWebToken = (r: Row): WebTokenRecord => ({
  name: r.name,
  role: r.role,
  hash: r.hash,
  createdAt: r.created_at,
  expiresAt: r.expires_at ?? undefined,
  lastUsedAt: r.last_used_at ?? undefined,
  revokedAt: r.revoked_at ?? undefined,
});

export const toCredential = (r: Row): WebAuthnCredentialRecord => ({
  id: r.id,
  account: r.account,
  publicKey: Buffer.from(r.public_key),
  counter: Number(r.counter),
  transports: JSON.parse(r.transports) as string[],
  createdAt: r.created_at,
});

/** Last-used is written at most this often per token. */
export const TOUCH_EVERY_MS = 60_000;

export function sqliteWebIdentity(db: Database.Database): WebIdentity {
  return {
    async addWebToken(t) {
      const added = db
        .prepare(
          `INSERT INTO web_tokens (name, role, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET role = excluded.role, hash = excluded.hash, created_at = excluded.created_at,
             expires_at = excluded.expires_at, last_used_at = NULL, revoked_at = NULL WHERE web_tokens.revoked_at IS NOT NULL`,
        )
        .run(t.name, t.role, t.hash, new Date().toISOString(), t.expiresAt ?? null);
      if (added.changes === 0) throw fail('WEB_TOKEN_EXISTS', t.name);
    },
    async webTokenByHash(hash) {
      const r = db.prepare('SELECT * FROM web_tokens WHERE hash = ?').get(hash) as Row | undefined;
      return r && toWebToken(r);
    },
    async listWebTokens() {
      return (db.prepare('SELECT * FROM web_tokens ORDER BY name').all() as Row[]).map(toWebToken);
    },
    async revokeWebToken(name, at = new Date().toISOString()) {
      return db.prepare('UPDATE web_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL').run(at, name).changes > 0;
    },
    async touchWebToken(name, at) {
      const before = new Date(at.getTime() - TOUCH_EVERY_MS).toISOString();
      db.prepare('UPDATE web_tokens SET last_used_at = ? WHERE name = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at.toISOString(), name, before);
    },
    async openConsoleSession(idHash, name, role, now, via = 'password') {
      db.prepare('INSERT INTO console_sessions (id_hash, name, role, last_seen, via) VALUES (?, ?, ?, ?, ?)').run(idHash, name, role, now, via);
    },
    async touchConsoleSession(idHash, now, idleMs) {
      const r = db.prepare('UPDATE console_sessions SET last_seen = ? WHERE id_hash = ? AND last_seen >= ? RETURNING name, role, last_seen, via').get(now, idHash, now - idleMs) as Row | undefined;
      if (!r) db.prepare('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash);
      return r && { name: r.name, role: r.role, lastSeen: Number(r.last_seen), via: r.via };
    },
    async closeConsoleSession(idHash) {
      db.prepare('DELETE FROM console_sessions WHERE id_hash = ?').run(idHash);
    },
    async sweepConsoleSessions(sessionsBefore, pendingBefore) {
      return (
        db.prepare('DELETE FROM console_sessions WHERE last_seen < ?').run(sessionsBefore).changes + db.prepare('DELETE FROM web_pending WHERE at < ?').run(pendingBefore).changes
      );
    },
    async putWebPending(idHash, p) {
      db.prepare('INSERT OR REPLACE INTO web_pending (id_hash, name, challenge, at) VALUES (?, ?, ?, ?)').run(idHash, p.name, p.challenge, p.at);
    },
    async takeWebPending(idHash) {
      const r = db.prepare('DELETE FROM web_pending WHERE id_hash = ? RETURNING name, challenge, at').get(idHash) as Row | undefined;
      return r && { name: r.name, challenge: r.challenge, at: Number(r.at) };
    },
    async addWebAuthnCredential(c) {
      db.prepare('INSERT INTO webauthn_credentials (id, account, public_key, counter, transports, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
        c.id,
        c.account,
        c.publicKey,
        c.counter,
        JSON.stringify(c.transports),
        new Date().toISOString(),
      );
    },
    async webAuthnCredentials(account) {
      return (db.prepare('SELECT * FROM webauthn_credentials WHERE account = ? ORDER BY created_at, id').all(account) as Row[]).map(toCredential);
    },
    async webAuthnCredential(id) {
      const r = db.prepare('SELECT * FROM webauthn_credentials WHERE id = ?').get(id) as Row | undefined;
      return r && toCredential(r);
    },
    async useWebAuthnCounter(id, counter) {
      // A key that keeps no counter reports 0 every time; one that does must go up.
      return db.prepare('UPDATE webauthn_credentials SET counter = ? WHERE id = ? AND (counter < ? OR (counter = 0 AND ? = 0))').run(counter, id, counter, counter).changes > 0;
    },
    async removeWebAuthnCredential(account, id) {
      // One immediate transaction: no other writer between the count and the delete.
      return db
        .transaction((): KeyRemoval => {
          const key = db.prepare('SELECT 1 FROM webauthn_credentials WHERE id = ? AND account = ?').get(id, account);
          if (!key) return 'unknown';
          const others = (db.prepare('SELECT count(*) AS n FROM webauthn_credentials WHERE account = ? AND id <> ?').get(account, id) as Row).n;
          const totp = db.prepare('SELECT 1 FROM web_accounts WHERE name = ? AND totp_enc IS NOT NULL').get(account);
          if (Number(others) === 0 && !totp) return 'last';
          db.prepare('DELETE FROM webauthn_credentials WHERE id = ? AND account = ?').run(id, account);
          return 'removed';
        })
        .immediate();
    },
  };
}
