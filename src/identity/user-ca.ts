// fumidai's user certificate authority: an ed25519 key in the data directory (0600, made by init and by serve when an
// older data directory has none), that signs OpenSSH user certificates for users (`ssh alice@bastion cert`) and the
// short-lived per-session certificates of its own upstream key. The public line goes into targets' TrustedUserCAKeys.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { generateEd25519 } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { encodeCertificate, sshString, USER_CERT } from '../ssh/ssh-cert.js';
import { fingerprintOf } from './public-key.js';

/** What fumidai's certificates allow, as OpenSSH's `ssh-keygen -s` grants by default. */
export const DEFAULT_EXTENSIONS = ['permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc'];

export interface CertRequest {
  /** The plain public key blob to certify. */
  publicKey: string | Buffer;
  serial: bigint;
  keyId: string;
  principals: string[];
  validAfter: Date;
  validBefore: Date;
  extensions?: string[];
  criticalOptions?: { name: string; value: string }[];
  /** USER_CERT (the default) or HOST_CERT; a host certificate has no extensions unless given. */
  certType?: number;
}

export class UserCa {
  readonly publicBlob: Buffer;
  readonly fingerprint: string;
  #key: ssh2.ParsedKey;

  constructor(key: ssh2.ParsedKey) {
    this.#key = key;
    this.publicBlob = key.getPublicSSH();
    this.fingerprint = fingerprintOf(this.publicBlob);
  }

  /** `ssh-ed25519 AAAA... fumidai-user-ca`: a TrustedUserCAKeys line. */
  get publicLine(): string {
    return `${this.#key.type} ${this.publicBlob.toString('base64')} fumidai-user-ca`;
  }

  /** A signed user certificate, as the bytes of its blob. */
  sign(req: CertRequest): Buffer {
    const publicKey = typeof req.publicKey === 'string' ? Buffer.from(req.publicKey, 'base64') : req.publicKey;
    const plainType = new TextDecoder().decode(publicKey.subarray(4, 4 + publicKey.readUInt32BE(0)));
    const type = plainType === 'ssh-rsa' ? 'ssh-rsa-cert-v01@openssh.com' : `${plainType}-cert-v01@openssh.com`;
    const secs = (d: Date) => BigInt(Math.floor(d.getTime() / 1000));
    const certType = req.certType ?? USER_CERT;
    return encodeCertificate(
      {
        type, nonce: randomBytes(32), publicKey, serial: req.serial, certType, keyId: req.keyId, principals: req.principals,
        validAfter: secs(req.validAfter), validBefore: secs(req.validBefore), criticalOptions: req.criticalOptions ?? [],
        extensions: req.extensions ?? (certType === USER_CERT ? DEFAULT_EXTENSIONS : []), signatureKey: this.publicBlob,
      },
      (data) => {
        const sig = this.#key.sign(data);
        if (sig instanceof Error) throw sig;
        return Buffer.concat([sshString(this.#key.type), sshString(sig)]);
      },
    );
  }
}

/** The certificate line to save as `id_ed25519-cert.pub`. */
export function certificateLine(blob: Buffer, comment: string): string {
  const type = new TextDecoder().decode(blob.subarray(4, 4 + blob.readUInt32BE(0)));
  return `${type} ${blob.toString('base64')} ${comment}`;
}

/** Creates the CA key at `file` (0600) if missing; true when it was made. */
export function ensureUserCaKey(file: string, comment = 'fumidai-user-ca'): boolean {
  if (existsSync(file)) return false;
  const pair = generateEd25519(comment);
  writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, pair.public + '\n', { mode: 0o600, flag: 'wx' });
  return true;
}

export function loadUserCa(file: string, missing: 'CERT_CA_MISSING' | 'HOST_CA_MISSING' = 'CERT_CA_MISSING'): UserCa {
  if (!existsSync(file)) throw fail(missing, file);
  const parsed = ssh2.utils.parseKey(readFileSync(file));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.isPrivateKey() || key.type !== 'ssh-ed25519') throw fail(missing, `${file} (not an unencrypted ed25519 private key)`);
  return new UserCa(key);
}
