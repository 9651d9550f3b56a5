import type { Command } from 'commander';
import QRCode from 'qrcode';
import { fail } from '../errors.js';
import { SeedBox } from '../mfa/seed-box.js';
import { newSecretBase32, otpauthUri } from '../mfa/totp.js';
import { adminChange, withStore } from './common.js';

export function registerMfa(program: Command): void {
  const mfa = program.command('mfa').description('TOTP second factor (Google Authenticator compatible)');
  mfa
    .command('enroll <user>')
    .description('create a TOTP secret for a user; prints the otpauth:// URI and a QR code to scan (replaces an earlier one)')
    .option('--data <dir>', 'data directory')
    .option('--no-qr', 'print only the URI')
    .action(async (user: string, opts: { data?: string; qr: boolean }) => {
      const uri = await withStore(opts, async (store, dir) => {
        if (!(await store.getUser(user))) throw fail('USER_UNKNOWN', user);
        const secret = newSecretBase32();
        const sealed = SeedBox.fromFile(dir.path(dir.config.auth.mfaKeyFile)).seal(secret, user);
        await adminChange(dir, `mfa enroll ${user}`, {}, () => store.setMfa(user, sealed));
        return otpauthUri(secret, user);
      });
      // The secret is shown once, to the admin's terminal, for the user's authenticator app; it is never logged.
      // The QR code is drawn with terminal colours: only where a terminal shows them, not into a file or a pipe.
      if (opts.qr && process.stdout.isTTY) console.log(await QRCode.toString(uri, { type: 'terminal', small: true }));
      console.log(uri);
    });
  mfa
    .command('reset <user>')
    .description("remove a user's TOTP enrolment")
    .option('--data <dir>', 'data directory')
    .action(async (user: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        const none = () => fail('ARGUMENT_INVALID', `user '${user}' has no TOTP enrolment`);
        if (!(await store.getMfa(user))) throw none();
        await adminChange(dir, `mfa reset ${user}`, {}, async () => {
          if (!(await store.deleteMfa(user))) throw none();
        });
      });
      console.log(`removed the TOTP enrolment of ${user}`);
    });
}
