// Which store a process uses: PostgreSQL when a URL is given (several nodes share it), else the SQLite file in the
// data directory. A store that cannot be reached is one line that names it without its password.
import { fail } from '../errors.js';
import { PgStore } from './pg-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export async function openStore(opts: { url?: string; sqliteFile: string; node: string }): Promise<Store> {
  if (!opts.url) return new SqliteStore(opts.sqliteFile);
  let shown: string;
  try {
    const u = new URL(opts.url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error();
    if (u.password) u.password = '***';
    shown = u.toString();
  } catch {
    throw fail('STORE_UNAVAILABLE', '(the store URL)', 'expected postgres://USER@HOST:PORT/DATABASE');
  }
  try {
    return await PgStore.open(opts.url, opts.node);
  } catch (err) {
    const e = err as Error & { code?: string };
    throw fail('STORE_UNAVAILABLE', shown, [e.code, e.message].filter(Boolean).join(' ') || 'no answer');
  }
}
