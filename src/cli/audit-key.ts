// Which public key `audit verify` trusts. The data directory's own key proves only that the trail agrees with itself:
// whoever can write the directory can swap the key and re-sign. A key or fingerprint the auditors kept off the host
// proves who signed.
import type { Command } from 'commander';
import type { KeyObject } from 'node:crypto';
import { dataDirFrom, openDataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { keyFingerprint, readPublicKey, sameFingerprint } from '../audit/keys.js';

export interface PinOptions {
  /** A public key file the auditors trust (PEM SPKI, or an OpenSSH ssh-ed25519 line). */
  key?: string;
  /** The fingerprint the auditors hold, `SHA256:...`. */
  fingerprint?: string;
}

export const UNPINNED = 'not checked against a pinned key: anyone who can write this data directory could have re-signed it (pass --key or --fingerprint)';

export { localAuditKey } from '../audit/verify-all.js';
import { localAuditKey } from '../audit/verify-all.js';

/**
 * The key to verify with: --key's, else `local()`; with --fingerprint it must have that fingerprint (AUDIT_KEY_MISMATCH,
 * exit 3, otherwise). `pinned` is false when neither was given.
 */
export function trustedKey(opts: PinOptions, local: () => { key: KeyObject; where: string }): { key: KeyObject; pinned: boolean } {
  if (opts.fingerprint !== undefined && !/^SHA256:[A-Za-z0-9+/]{43}$/.test(opts.fingerprint)) {
    throw fail('ARGUMENT_INVALID', `--fingerprint must look like SHA256: and 43 base64 characters (as 'fumidai audit key' prints it), not '${opts.fingerprint}'`);
  }
  let key: KeyObject;
  let where: string;
  if (opts.key) {
    try {
      key = readPublicKey(opts.key);
    } catch (err) {
      throw fail('ARGUMENT_INVALID', `--key ${opts.key}: not a readable ed25519 public key (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    where = `--key ${opts.key}`;
  } else ({ key, where } = local());
  if (opts.fingerprint && !sameFingerprint(keyFingerprint(key), opts.fingerprint)) {
    throw fail('AUDIT_KEY_MISMATCH', `${where} is ${keyFingerprint(key)}`, opts.fingerprint);
  }
  return { key, pinned: Boolean(opts.key || opts.fingerprint) };
}

export function registerAuditKey(audit: Command): void {
  audit
    .command('key')
    .description('print the audit signing key: its fingerprint (give it to your auditors), then the public key (PEM, for audit verify --key)')
    .option('--data <dir>', 'data directory')
    .action((opts: { data?: string }) => {
      const key = localAuditKey(openDataDir(dataDirFrom(opts.data)));
      // The fingerprint line goes first: PEM readers skip text before BEGIN, so the output as a whole is a --key file.
      console.log(`${keyFingerprint(key)}\n${key.export({ type: 'spki', format: 'pem' }).toString().trimEnd()}`);
    });
}
