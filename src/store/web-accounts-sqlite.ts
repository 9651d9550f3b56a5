// Web console accounts in the SQLite store (the rules are those of the SSH users' failures and TOTP steps).
import type Database from 'better-sqlite3';
import { fail } from '../errors.js';
import type { UserLock, WebAccountRecord, WebAccounts } from './store.js';
import type { Row } from './rows.js';

export const toWebAccount = (r: Row): WebAccountRecord => ({
  name: r.name,
  role: r.role,
  passwordHash: r.password_hash,
  totpEnc: r.totp_enc ?? undefined,
  lastStep: Number(r.last_step),
  createdAt: r.created_at,
});

export function sqliteWebAccounts(db: Database.Database): WebAccounts {
  const lockOf = (name: string): UserLock => {
    const r = db.prepare('SELECT consecutive, locked_until FROM web_accounts WHERE name = ?').get(name) as Row | undefined;
    return { consecutiveFailures: r?.consecutive ?? 0, lockedUntil: r?.locked_until ?? undefined };
  };
  return {
    async addWebAccount(a) {
      const added = db
        .prepare('INSERT INTO web_accounts (name, role, password_hash, totp_enc, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING')
        .run(a.name, a.role, a.passwordHash, a.totpEnc ?? null, new Date().toISOString());
      if (added.changes === 0) throw fail('WEB_ACCOUNT_EXISTS', a.name);
    },
    async getWebAccount(name) {
      const r = db.prepare('SELECT * FROM web_accounts WHERE name = ?').get(name) as Row | undefined;
      return r && toWebAccount(r);
    },
    async listWebAccounts() {
      return (db.prepare('SELECT * FROM web_accounts ORDER BY name').all() as Row[]).map(toWebAccount);
    },
    async removeWebAccount(name) {
      return db.prepare('DELETE FROM web_accounts WHERE name = ?').run(name).changes > 0;
    },
    async useWebTotpStep(name, step) {
      return db.prepare('UPDATE web_accounts SET last_step = ? WHERE name = ? AND last_step < ?').run(step, name, step).changes > 0;
    },
    async recordWebFailure(name, lockAfter, lockSeconds, at = new Date()) {
      const lockUntil = new Date(at.getTime() + lockSeconds * 1000).toISOString();
      db.prepare('UPDATE web_accounts SET consecutive = consecutive + 1, locked_until = CASE WHEN consecutive + 1 >= ? THEN ? ELSE locked_until END WHERE name = ?').run(lockAfter, lockUntil, name);
      return lockOf(name);
    },
    async clearWebFailuresUnlessLocked(name, at = new Date()) {
      const now = at.toISOString();
      db.prepare('UPDATE web_accounts SET consecutive = 0, locked_until = NULL WHERE name = ? AND (locked_until IS NULL OR locked_until <= ?)').run(name, now);
      const lock = lockOf(name);
      return lock.lockedUntil && lock.lockedUntil > now ? lock : { consecutiveFailures: 0, lockedUntil: undefined };
    },
  };
}
