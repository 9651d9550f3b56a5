import type { Command } from 'commander';
import { fail } from '../errors.js';
import { isValidLogin } from '../identity/names.js';
import { adminChange, withStore } from './common.js';

export function registerGrant(program: Command): void {
  program
    .command('grant <user> <target>')
    .description("allow a user to reach a target (deny by default); without --login, the target's default login")
    .option('--login <login>', "login on the target ('*' for any)")
    .option('--data <dir>', 'data directory')
    .action(async (user: string, target: string, opts: { login?: string; data?: string }) => {
      const login = await withStore(opts, async (store, dir) => {
        if (!(await store.getUser(user))) throw fail('USER_UNKNOWN', user);
        const t = await store.getTarget(target);
        if (!t) throw fail('TARGET_UNKNOWN', target);
        const login = opts.login ?? t.defaultLogin;
        if (login !== '*' && !isValidLogin(login)) throw fail('ARGUMENT_INVALID', `invalid login '${login}'`);
        await adminChange(dir, `grant ${user} ${login}@${target}`, {}, () => store.grant(user, target, login));
        return login;
      });
      console.log(`granted ${user} -> ${login}@${target}`);
    });
  program
    .command('revoke <user> <target>')
    .description('take back a grant (all logins on the target unless --login)')
    .option('--login <login>', 'only this login')
    .option('--data <dir>', 'data directory')
    .action(async (user: string, target: string, opts: { login?: string; data?: string }) => {
      const n = await withStore(opts, async (store, dir) => {
        // Counted first: the event names how many grants it takes back, and nothing to take back is no change.
        const grants = (await store.grantsOf(user)).filter((g) => g.target === target && (opts.login === undefined || g.login === opts.login)).length;
        if (!grants) return 0;
        return adminChange(dir, `revoke ${user} ${opts.login ?? '*'}@${target}`, { grants }, () => store.revoke(user, target, opts.login));
      });
      console.log(`revoked ${n} grant(s)`);
    });
}
