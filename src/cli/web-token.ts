// `fumidai web token`: API bearer tokens of the console (Authorization: Bearer fmd_...). The token is printed once;
// the store keeps its SHA-256 only. Creating and revoking are AdminChange events.
import type { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { fail } from '../errors.js';
import { checkName } from '../identity/names.js';
import { TOKEN_PREFIX, tokenHash } from '../web/authn.js';
import { adminChange, printTable, withStore } from './common.js';

const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/** --expires: a duration (90m, 12h, 30d, 2w) from `now`, or an ISO time; the ISO time it ends. */
export function expiryOf(value: string, now = new Date()): string {
  const m = /^(\d{1,6})([mhdw])$/.exec(value);
  if (m) return new Date(now.getTime() + Number(m[1]) * UNITS[m[2]!]! * 1000).toISOString();
  const t = Date.parse(value);
  if (/^\d{4}-\d\d-\d\d/.test(value) && !Number.isNaN(t)) {
    if (t <= now.getTime()) throw fail('ARGUMENT_INVALID', `--expires ${value} is in the past`);
    return new Date(t).toISOString();
  }
  throw fail('ARGUMENT_INVALID', `--expires must be a duration like 30d, 12h, 90m, 2w, or an ISO time, not '${value}'`);
}

export const newToken = (): string => `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;

export function registerWebToken(web: Command): void {
  const token = web.command('token').description('API bearer tokens for /api/* (scripts, not people)');
  token
    .command('create <name>')
    .description('create a token; it is printed once (keep it: only its hash is stored)')
    .requiredOption('--role <role>', 'auditor (reads) or admin')
    .option('--expires <when>', 'a duration (30d, 12h, 90m, 2w) or an ISO time; without it the token lasts until revoked')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { role: string; expires?: string; data?: string }) => {
      checkName('token', name);
      if (opts.role !== 'auditor' && opts.role !== 'admin') throw fail('ARGUMENT_INVALID', `--role must be auditor or admin, not '${opts.role}'`);
      const role = opts.role;
      const expiresAt = opts.expires === undefined ? undefined : expiryOf(opts.expires);
      const secret = newToken();
      await withStore(opts, async (store, dir) => {
        const change = `web token create ${name} --role ${role}${expiresAt ? ` --expires ${expiresAt}` : ''}`;
        await adminChange(dir, change, {}, () => store.addWebToken({ name, role, hash: tokenHash(secret), expiresAt }));
      });
      console.error(`created console API token ${name} (${role}${expiresAt ? `, expires ${expiresAt}` : ''}); it is shown once:`);
      console.log(secret); // to the admin's terminal only; never logged
    });
  token
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store) => {
        const now = new Date().toISOString();
        const state = (t: { revokedAt?: string; expiresAt?: string }) => (t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt && t.expiresAt <= now ? 'expired' : 'active');
        printTable(
          ['NAME', 'ROLE', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'],
          (await store.listWebTokens()).map((t) => [t.name, t.role, state(t), t.createdAt, t.expiresAt ?? 'never', t.lastUsedAt ?? '-']),
        );
      });
    });
  token
    .command('revoke <name>')
    .description('revoke a token: the next request with it is refused (401, on every node)')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        await adminChange(dir, `web token revoke ${name}`, {}, async () => {
          if (!(await store.revokeWebToken(name))) throw fail('WEB_TOKEN_UNKNOWN', name);
        });
      });
      console.log(`revoked console API token ${name}`);
    });
}
