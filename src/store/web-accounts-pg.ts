// Web console accounts in the PostgreSQL store: each change one statement, atomic across nodes.
import type pg from 'pg';
import { fail } from '../errors.js';
import type { UserLock, WebAccounts } from './store.js';
import { toWebAccount } from './web-accounts-sqlite.js';

export function pgWebAccounts(pool: pg.Pool): WebAccounts {
  const lockOf = async (name: string): Promise<UserLock> => {
    const r = (await pool.query('SELECT consecutive, locked_until FROM web_accounts WHERE name = $1', [name])).rows[0];
    return { consecutiveFailures: r?.consecutive ?? 0, lockedUntil: r?.locked_until ?? undefined };
  };
  return {
    async addWebAccount(a) {
      const added = await pool.query(
        'INSERT INTO web_accounts (name, role, password_hash, totp_enc, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING',
        [a.name, a.role, a.passwordHash, a.totpEnc ?? null, new Date().toISOString()],
      );
      if (added.rowCount === 0) throw fail('WEB_ACCOUNT_EXISTS', a.name);
    },
    async getWebAccount(name) {
      const r = (await pool.query('SELECT * FROM web_accounts WHERE name = $1', [name])).rows[0];
      return r && toWebAccount(r);
    },
    async listWebAccounts() {
      return (await pool.query('SELECT * FROM web_accounts ORDER BY name COLLATE "C"')).rows.map(toWebAccount);
    },
    async removeWebAccount(name) {
      return ((await pool.query('DELETE FROM web_accounts WHERE name = $1', [name])).rowCount ?? 0) > 0;
    },
    async useWebTotpStep(name, step) {
      return ((await pool.query('UPDATE web_accounts SET last_step = $1 WHERE name = $2 AND last_step < $1', [step, name])).rowCount ?? 0) > 0;
    },
    async recordWebFailure(name, lockAfter, lockSeconds, at = new Date()) {
      const lockUntil = new Date(at.getTime() + lockSeconds * 1000).toISOString();
      const r = (await pool.query(
        `UPDATE web_accounts SET consecutive = consecutive + 1,
           locked_until = CASE WHEN consecutive + 1 >= $2 THEN $3 ELSE locked_until END
         WHERE name = $1 RETURNING consecutive, locked_until`,
        [name, lockAfter, lockUntil],
      )).rows[0];
      return { consecutiveFailures: r?.consecutive ?? 0, lockedUntil: r?.locked_until ?? undefined };
    },
    async clearWebFailuresUnlessLocked(name, at = new Date()) {
      const now = at.toISOString();
      await pool.query('UPDATE web_accounts SET consecutive = 0, locked_until = NULL WHERE name = $1 AND (locked_until IS NULL OR locked_until <= $2)', [name, now]);
      const lock = await lockOf(name);
      return lock.lockedUntil && lock.lockedUntil > now ? lock : { consecutiveFailures: 0, lockedUntil: undefined };
    },
  };
}
