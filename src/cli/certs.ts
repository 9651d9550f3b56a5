// `fumidai certs`: the user CA's public line, the certificates issued, and revocation (by serial or key id).
import type { Command } from 'commander';
import { dataDirFrom, openDataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { ensureUserCaKey, loadUserCa } from '../identity/user-ca.js';
import { ensureHostCaKey, loadHostCa } from '../identity/host-ca.js';
import { adminChange, printTable, withStore } from './common.js';

export function registerCerts(program: Command): void {
  const certs = program.command('certs').description('OpenSSH user certificates: the user CA, issued certificates, revocation');
  certs
    .command('ca')
    .description("print the user CA's public line (for targets' TrustedUserCAKeys and other bastions' certs.trustedUserCAs)")
    .option('--data <dir>', 'data directory')
    .action((opts: { data?: string }) => {
      const dir = openDataDir(dataDirFrom(opts.data));
      const file = dir.path(dir.config.certs.userCaKey);
      ensureUserCaKey(file); // a data directory older than certificates gets its CA now, as serve would make it
      console.log(loadUserCa(file).publicLine);
    });
  certs
    .command('host-ca')
    .description("print the host CA's @cert-authority line for clients' known_hosts (with certs.hostCertificates on)")
    .option('--hosts <patterns>', "the known_hosts host patterns it is trusted for, e.g. 'bastion,*.internal.example.com'", '*')
    .option('--data <dir>', 'data directory')
    .action((opts: { hosts: string; data?: string }) => {
      // One field of the line: a space or a newline would make it another line, or another key.
      if (!/^[!-~]+$/.test(opts.hosts)) throw fail('ARGUMENT_INVALID', `--hosts takes comma-separated patterns without spaces, not '${opts.hosts}'`);
      const dir = openDataDir(dataDirFrom(opts.data));
      const file = dir.path(dir.config.certs.hostCaKey);
      ensureHostCaKey(file); // as serve would make it for a data directory older than host certificates
      console.log(loadHostCa(file).knownHostsLine(opts.hosts));
    });
  certs
    .command('list')
    .description('list the certificates issued, and the revocations')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store) => {
        const revoked = await store.listCertRevocations();
        printTable(['SERIAL', 'USER', 'KEY ID', 'KEY', 'VALID BEFORE', 'ISSUED'], (await store.listIssuedCerts()).map((c) => [String(c.serial), c.user, c.keyId, c.fingerprint, c.validBefore, c.issuedAt]));
        if (revoked.length) {
          console.log('');
          printTable(['REVOKED', 'SERIAL', 'CA', 'KEY ID', 'REASON'], revoked.map((r) => [r.revokedAt, r.serial === undefined ? '-' : String(r.serial), r.ca ?? '-', r.keyId ?? '-', r.reason]));
        }
      });
    });
  certs
    .command('revoke')
    .description('revoke a certificate before it expires: logins with it are refused and its live sessions end')
    .option('--serial <n>', "a serial of fumidai's CA (or of the CA given with --ca)")
    .option('--key-id <id>', 'a key id (of any trusted CA), e.g. fumidai:alice:12')
    .option('--ca <fingerprint>', "with --serial: the CA's SHA256 fingerprint, for an external CA's serial")
    .option('--reason <text>', 'why, for the trail and the user whose session ends', 'revoked by an administrator')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { serial?: string; keyId?: string; ca?: string; reason: string; data?: string }) => {
      if ((opts.serial === undefined) === (opts.keyId === undefined)) throw fail('ARGUMENT_INVALID', 'give one of --serial N or --key-id ID');
      if (opts.serial !== undefined && !/^\d{1,15}$/.test(opts.serial)) throw fail('ARGUMENT_INVALID', `--serial takes a number, not '${opts.serial}'`);
      if (opts.ca !== undefined && opts.serial === undefined) throw fail('ARGUMENT_INVALID', '--ca goes with --serial');
      await withStore(opts, async (store, dir) => {
        const serial = opts.serial === undefined ? undefined : Number(opts.serial);
        const ca = serial === undefined ? undefined : (opts.ca ?? loadUserCa(dir.path(dir.config.certs.userCaKey)).fingerprint);
        const own = serial !== undefined && opts.ca === undefined;
        // fumidai's own serials are checked against what it issued: a typo must not pass as a revocation.
        if (own && !(await store.listIssuedCerts()).some((c) => c.serial === serial)) throw fail('CERT_UNKNOWN', `serial ${serial}`);
        const what = serial !== undefined ? `--serial ${serial}${opts.ca ? ` --ca ${opts.ca}` : ''}` : `--key-id ${opts.keyId}`;
        await adminChange(dir, `certs revoke ${what}`, { ...(serial !== undefined ? { serial, ca } : { keyId: opts.keyId }), reason: opts.reason }, () =>
          store.revokeCert({ ...(serial !== undefined ? { serial, ca } : { keyId: opts.keyId }), reason: opts.reason }));
        console.log(`revoked ${serial !== undefined ? `serial ${serial}` : `key id ${opts.keyId}`}: logins with it are refused, and its live sessions end`);
      });
    });
}
