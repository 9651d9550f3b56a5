// Parsing and comparing SSH public keys. Users are identified by the key they authenticate with.
import { createHash, timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import { fail } from '../errors.js';

export interface PublicKey {
  type: string;
  /** The SSH wire-format blob. */
  blob: Buffer;
  comment: string;
  /** SHA256:base64 without padding, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** authorized_keys format: `type base64 comment`. */
  line: string;
}

export function fingerprintOf(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Parses one OpenSSH public key line; `source` names where it came from for the error message. */
export function parsePublicKey(text: string, source: string): PublicKey {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  if (!line) throw fail('KEY_INVALID', source, 'empty');
  if (line.includes('PRIVATE KEY')) throw fail('KEY_INVALID', source, 'this is a private key; give the .pub file');
  const parsed = ssh2.utils.parseKey(line);
  if (parsed instanceof Error) throw fail('KEY_INVALID', source, parsed.message);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key.isPrivateKey()) throw fail('KEY_INVALID', source, 'expected a public key');
  const blob = key.getPublicSSH();
  const comment = key.comment || line.split(/\s+/).slice(2).join(' ');
  return {
    type: key.type,
    blob,
    comment,
    fingerprint: fingerprintOf(blob),
    line: `${key.type} ${blob.toString('base64')}${comment ? ' ' + comment : ''}`,
  };
}

export function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
