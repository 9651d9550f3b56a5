// The audit signing key: an ed25519 key pair whose private half signs the trail's checkpoints. Only `init` makes one:
// a key that appeared by itself would let whoever deleted the old one re-sign the trail unnoticed.
import { createPrivateKey, createPublicKey, generateKeyPairSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fail } from '../errors.js';

/** audit.keyFile's default, in the data directory. */
export const AUDIT_KEY_FILE = 'audit_ed25519_key';

export interface AuditKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Makes a new key at `file` (private, 0600) and its public half beside it (`.pub`, PEM SPKI). Never overwrites: EEXIST. */
export function createAuditKey(file: string): AuditKeyPair {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(`${file}.pub`, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o600 });
  return { privateKey, publicKey };
}

/** The key at `file`; missing, unreadable or not an ed25519 private key is AUDIT_KEY_MISSING, and nothing is created. */
export function loadAuditKey(file: string): AuditKeyPair {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail('AUDIT_KEY_MISSING', file, code === 'ENOENT' ? 'is missing' : `cannot be read (${code?.startsWith('E') ? code : 'not a private key'})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw fail('AUDIT_KEY_MISSING', file, 'cannot be read (not an ed25519 key)');
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/**
 * The public key that checks the trail: from the private key when this user can read it, else from the `.pub` beside
 * it (a key readable only by the service account still lets another user verify).
 */
export function loadAuditPublicKey(file: string): KeyObject {
  try {
    return loadAuditKey(file).publicKey;
  } catch (err) {
    if (!existsSync(`${file}.pub`)) throw err;
    return readPublicKey(`${file}.pub`);
  }
}

/** An ed25519 public key from a file: PEM (SPKI) or an OpenSSH `ssh-ed25519 AAAA...` line. */
export function readPublicKey(file: string): KeyObject {
  const text = readFileSync(file, 'utf8');
  const ssh = /^\s*ssh-ed25519\s+([A-Za-z0-9+/=]+)/m.exec(text);
  const key = ssh ? ed25519FromSshBlob(Buffer.from(ssh[1]!, 'base64')) : createPublicKey(text);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key, not ed25519`);
  return key;
}

/** The SSH wire blob: string "ssh-ed25519", string of the 32 raw bytes. */
function ed25519FromSshBlob(blob: Buffer): KeyObject {
  const typeLen = blob.readUInt32BE(0);
  const type = blob.subarray(4, 4 + typeLen).toString();
  const raw = blob.subarray(8 + typeLen, 8 + typeLen + blob.readUInt32BE(4 + typeLen));
  if (type !== 'ssh-ed25519' || raw.length !== 32) throw new Error('not an ssh-ed25519 key');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** The key's fingerprint, as `ssh-keygen -l` prints it (SHA256 of the ssh-ed25519 blob). */
export { keyFingerprint } from './chain.js';

/** Whether two fingerprints are the same, in constant time (unequal lengths differ at once: the length is not secret). */
export function sameFingerprint(a: string, b: string): boolean {
  const x = Buffer.from(a.trim());
  const y = Buffer.from(b.trim());
  return x.length === y.length && timingSafeEqual(x, y);
}
