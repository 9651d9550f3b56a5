import type { Command } from 'commander';
import { fail } from '../errors.js';
import { checkName, isValidLogin } from '../identity/names.js';
import { adminChange, printTable, withStore } from './common.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw fail('ARGUMENT_INVALID', `invalid port '${value}': use 1-65535`);
  return port;
}

export function registerTarget(program: Command): void {
  const target = program.command('target').description('manage targets (servers behind the bastion)');
  target
    .command('add <name>')
    .description('add a target')
    .requiredOption('--host <host>', 'address or DNS name fumidai connects to')
    .option('--port <port>', 'SSH port', '22')
    .requiredOption('--login <login>', 'default login on the target')
    .option('--allow-sha1-host-key', 'accept an ssh-rsa (SHA-1 signed) host key from this target (refused by default)')
    .option('--cert-login', "log in with a per-session certificate from fumidai's user CA (the target trusts it in TrustedUserCAKeys)")
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { host: string; port: string; login: string; allowSha1HostKey?: boolean; certLogin?: boolean; data?: string }) => {
      checkName('target', name);
      const port = parsePort(opts.port);
      if (!isValidLogin(opts.login)) throw fail('ARGUMENT_INVALID', `invalid login '${opts.login}'`);
      await withStore(opts, async (store, dir) => {
        if (await store.getTarget(name)) throw fail('TARGET_EXISTS', name);
        const allowSha1HostKey = opts.allowSha1HostKey === true;
        const certLogin = opts.certLogin === true;
        await adminChange(dir, `target add ${name}`, { host: opts.host, port, login: opts.login, ...(allowSha1HostKey ? { allowSha1HostKey } : {}), ...(certLogin ? { certLogin } : {}) }, async () => {
          await store.addTarget({ name, host: opts.host, port, defaultLogin: opts.login, allowSha1HostKey });
          if (certLogin) await store.setCertLogin(name, true);
        });
      });
      console.log(`added target ${name} (${opts.login}@${opts.host}:${port})`);
    });
  target
    .command('list')
    .description('list targets with their pinned host keys')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store) => {
        const rows = (await store.listTargets()).map((t) => [t.name, `${t.host}:${t.port}`, t.defaultLogin,
          `${t.hostKeyFingerprint ?? '(not yet pinned)'}${t.allowSha1HostKey ? ' (ssh-rsa SHA-1 allowed)' : ''}${t.certLogin ? ' (certificate login)' : ''}`]);
        printTable(['TARGET', 'ADDRESS', 'LOGIN', 'HOST KEY'], rows);
      });
    });
  target
    .command('remove <name>')
    .description('remove a target and its grants')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        if (!(await store.getTarget(name))) throw fail('TARGET_UNKNOWN', name);
        await adminChange(dir, `target remove ${name}`, {}, async () => {
          if (!(await store.removeTarget(name))) throw fail('TARGET_UNKNOWN', name);
        });
      });
      console.log(`removed target ${name}`);
    });
  target
    .command('set <name>')
    .description("change a target's options")
    .option('--allow-sha1-host-key <yes|no>', 'accept an ssh-rsa (SHA-1 signed) host key from this target')
    .option('--cert-login <yes|no>', "log in with a per-session certificate from fumidai's user CA instead of its key")
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { allowSha1HostKey?: string; certLogin?: string; data?: string }) => {
      const yesNo = (flag: string, v: string | undefined) => {
        if (v !== undefined && !['yes', 'no'].includes(v)) throw fail('ARGUMENT_INVALID', `${flag} takes yes or no, not '${v}'`);
        return v === undefined ? undefined : v === 'yes';
      };
      const allow = yesNo('--allow-sha1-host-key', opts.allowSha1HostKey);
      const certLogin = yesNo('--cert-login', opts.certLogin);
      if (allow === undefined && certLogin === undefined) throw fail('ARGUMENT_INVALID', 'give --allow-sha1-host-key yes|no or --cert-login yes|no');
      await withStore(opts, async (store, dir) => {
        if (!(await store.getTarget(name))) throw fail('TARGET_UNKNOWN', name);
        await adminChange(dir, `target set ${name}`, { ...(allow !== undefined ? { allowSha1HostKey: allow } : {}), ...(certLogin !== undefined ? { certLogin } : {}) }, async () => {
          if (allow !== undefined && !(await store.setAllowSha1HostKey(name, allow))) throw fail('TARGET_UNKNOWN', name);
          if (certLogin !== undefined && !(await store.setCertLogin(name, certLogin))) throw fail('TARGET_UNKNOWN', name);
        });
      });
      if (allow !== undefined) console.log(`${name}: ssh-rsa (SHA-1) host keys ${allow ? 'accepted' : 'refused'}`);
      if (certLogin !== undefined) console.log(`${name}: fumidai logs in ${certLogin ? 'with a per-session certificate' : "with its key"}`);
    });
  target
    .command('trust <name>')
    .description("forget a target's pinned host key; the next connection pins the key it then presents")
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        const before = await store.getTarget(name);
        if (!before) throw fail('TARGET_UNKNOWN', name);
        await adminChange(dir, `target trust ${name}`, { forgotHostKey: before.hostKeyFingerprint ?? null }, async () => {
          if (!(await store.forgetHostKey(name))) throw fail('TARGET_UNKNOWN', name);
        });
      });
      console.log(`forgot the host key of ${name}; it is pinned again on the next connection`);
    });
}
