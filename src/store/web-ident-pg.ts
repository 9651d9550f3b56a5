// Who may enter the web console, in the PostgreSQL store: each change one statement, atomic across nodes.
import type pg from 'pg';
import { fail } from '../errors.js';
import type { KeyRemoval, WebIdentity } from './store.js';
import { TOUCH_EVERY_MS, toCredential, toWebToken } from './web-ident-sqlite.js';

export function pgWebIdentity(pool: pg.Pool): WebIdentity {
  const q = (sql: string, args: unknown[]) => pool.query(sql, args);
  return {
    async addWebToken(t) {
      const added = await q(
        `INSERT INTO web_tokens (name, role, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, hash = excluded.hash, created_at = excluded.created_at,
           expires_at = excluded.expires_at, last_used_at = NULL, revoked_at = NULL WHERE web_tokens.revoked_at IS NOT NULL`,
        [t.name, t.role, t.hash, new Date().toISOString(), t.expiresAt ?? null],
      );
      if (added.rowCount === 0) throw fail('WEB_TOKEN_EXISTS', t.name);
    },
    async webTokenByHash(hash) {
      const r = (await q('SELECT * FROM web_tokens WHERE hash = $1', [hash])).rows[0];
      return r && toWebToken(r);
    },
    async listWebTokens() {
      return (await q('SELECT * FROM web_tokens ORDER BY name COLLATE "C"', [])).rows.map(toWebToken);
    },
    async revokeWebToken(name, at = new Date().toISOString()) {
      return ((await q('UPDATE web_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [at, name])).rowCount ?? 0) > 0;
    },
    async touchWebToken(name, at) {
      const before = new Date(at.getTime() - TOUCH_EVERY_MS).toISOString();
      await q('UPDATE web_tokens SET last_used_at = $1 WHERE name = $2 AND (last_used_at IS NULL OR last_used_at < $3)', [at.toISOString(), name, before]);
    },
    async openConsoleSession(idHash, name, role, now, via = 'password') {
      await q('INSERT INTO console_sessions (id_hash, name, role, last_seen, via) VALUES ($1, $2, $3, $4, $5)', [idHash, name, role, now, via]);
    },
    async touchConsoleSession(idHash, now, idleMs) {
      const r = (await q('UPDATE console_sessions SET last_seen = greatest(last_seen, $1) WHERE id_hash = $2 AND last_seen >= $3 RETURNING name, role, last_seen, via', [now, idHash, now - idleMs])).rows[0];
      if (!r) await q('DELETE FROM console_sessions WHERE id_hash = $1 AND last_seen < $2', [idHash, now - idleMs]);
      return r && { name: r.name, role: r.role, lastSeen: Number(r.last_seen), via: r.via };
    },
    async closeConsoleSession(idHash) {
      await q('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
    },
    async sweepConsoleSessions(sessionsBefore, pendingBefore) {
      const a = (await q('DELETE FROM console_sessions WHERE last_seen < $1', [sessionsBefore])).rowCount ?? 0;
      return a + ((await q('DELETE FROM web_pending WHERE at < $1', [pendingBefore])).rowCount ?? 0);
    },
    async putWebPending(idHash, p) {
      await q(
        'INSERT INTO web_pending (id_hash, name, challenge, at) VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO UPDATE SET name = excluded.name, challenge = excluded.challenge, at = excluded.at',
        [idHash, p.name, p.challenge, p.at],
      );
    },
    async takeWebPending(idHash) {
      const r = (await q('DELETE FROM web_pending WHERE id_hash = $1 RETURNING name, challenge, at', [idHash])).rows[0];
      return r && { name: r.name, challenge: r.challenge, at: Number(r.at) };
    },
    async addWebAuthnCredential(c) {
      await q('INSERT INTO webauthn_credentials (id, account, public_key, counter, transports, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
        c.id,
        c.account,
        c.publicKey,
        c.counter,
        JSON.stringify(c.transports),
        new Date().toISOString(),
      ]);
    },
    async webAuthnCredentials(account) {
      return (await q('SELECT * FROM webauthn_credentials WHERE account = $1 ORDER BY created_at, id COLLATE "C"', [account])).rows.map(toCredential);
    },
    async webAuthnCredential(id) {
      const r = (await q('SELECT * FROM webauthn_credentials WHERE id = $1', [id])).rows[0];
      return r && toCredential(r);
    },
    async useWebAuthnCounter(id, counter) {
      // A key that keeps no counter reports 0 every time; one that does must go up.
      return ((await q('UPDATE webauthn_credentials SET counter = $1 WHERE id = $2 AND (counter < $1 OR (counter = 0 AND $1 = 0))', [counter, id])).rowCount ?? 0) > 0;
    },
    async removeWebAuthnCredential(account, id) {
      // The account's row locked first: a second removal waits, then counts what the first one left.
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const locked = (await c.query('SELECT totp_enc IS NOT NULL AS totp FROM web_accounts WHERE name = $1 FOR UPDATE', [account])).rows[0];
        const keys = (await c.query('SELECT id FROM webauthn_credentials WHERE account = $1', [account])).rows.map((r) => r.id as string);
        let result: KeyRemoval = 'removed';
        if (!locked || !keys.includes(id)) result = 'unknown';
        else if (keys.length === 1 && !locked.totp) result = 'last';
        else await c.query('DELETE FROM webauthn_credentials WHERE id = $1 AND account = $2', [id, account]);
        await c.query('COMMIT');
        return result;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
  };
}
