// `fumidai web`: accounts of the web console (not SSH users), with a password and optionally TOTP.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { SeedBox } from '../mfa/seed-box.js';
import { newSecretBase32, otpauthUri } from '../mfa/totp.js';
import { checkName } from '../identity/names.js';
import { hashPassword, passwordProblem } from '../web/password.js';
import { adminChange, printTable, withStore } from './common.js';
import { registerWebToken } from './web-token.js';

/** The password's first line, from the file or from standard input (a terminal hides it). */
async function readPassword(file: string | undefined): Promise<string> {
  if (file) return readFileSync(file, 'utf8').split(/\r?\n/, 1)[0]!;
  const tty = process.stdin.isTTY;
  if (tty) {
    process.stderr.write('password: ');
    process.stdin.setRawMode(true);
  }
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (/[\r\n\x03\x04]/.test(text)) break;
  }
  if (tty) {
    process.stdin.setRawMode(false);
    process.stderr.write('\n');
  }
  if (text.includes('\x03')) throw fail('ARGUMENT_INVALID', 'no password given');
  return text.split(/[\r\n\x04]/, 1)[0]!;
}

export function registerWeb(program: Command): void {
  const web = program.command('web').description('the web console: its accounts and API tokens');
  registerWebToken(web);
  const user = web.command('user').description('web console accounts (auditors and admins, not SSH users)');
  user
    .command('add <name>')
    .description('create an account; the password comes from --password-file or standard input')
    .requiredOption('--role <role>', 'auditor (reads) or admin')
    .option('--password-file <file>', 'a file whose first line is the password')
    .option('--totp', 'enrol a TOTP second factor: prints the otpauth:// URI for an authenticator app')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { role: string; passwordFile?: string; totp?: boolean; data?: string }) => {
      checkName('web account', name);
      if (opts.role !== 'auditor' && opts.role !== 'admin') throw fail('ARGUMENT_INVALID', `--role must be auditor or admin, not '${opts.role}'`);
      const role = opts.role;
      const password = await readPassword(opts.passwordFile);
      const problem = passwordProblem(password);
      if (problem) throw fail('ARGUMENT_INVALID', problem);
      const passwordHash = await hashPassword(password);
      const uri = await withStore(opts, async (store, dir) => {
        const secret = opts.totp ? newSecretBase32() : undefined;
        // Sealed to `web:NAME`, so a console seed cannot be moved onto an SSH user of that name, nor back.
        const totpEnc = secret ? SeedBox.fromFile(dir.path(dir.config.auth.mfaKeyFile)).seal(secret, `web:${name}`) : undefined;
        await adminChange(dir, `web user add ${name} --role ${role}${secret ? ' --totp' : ''}`, {}, () => store.addWebAccount({ name, role, passwordHash, totpEnc }));
        return secret && otpauthUri(secret, name, 'fumidai web');
      });
      console.log(`added web console account ${name} (${role})`);
      if (uri) console.log(uri); // shown once, to the admin's terminal; never logged
    });
  user
    .command('list')
    .description('list web console accounts')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store) => {
        printTable(['NAME', 'ROLE', 'TOTP', 'CREATED'], (await store.listWebAccounts()).map((a) => [a.name, a.role, a.totpEnc ? 'yes' : 'no', a.createdAt]));
      });
    });
  user
    .command('remove <name>')
    .description('remove a web console account (its open console sessions end at their next request)')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        await adminChange(dir, `web user remove ${name}`, {}, async () => {
          if (!(await store.removeWebAccount(name))) throw fail('WEB_ACCOUNT_UNKNOWN', name);
        });
      });
      console.log(`removed web console account ${name}`);
    });
}
