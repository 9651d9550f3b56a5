// OpenSSH certificates (PROTOCOL.certkeys): the wire format read and written, and SSH signatures checked with Node's
// crypto. Written here rather than taken from sshpk because a bastion needs exactly what sshpk leaves out or gets
// wrong for this use: the critical options' values (source-address, force-command), an empty principal list kept
// empty (sshpk turns it into '*'), the signed bytes as they came, and RSA CA signatures with SHA-2 (sshpk signs
// with SHA-1, which OpenSSH refuses). Every length is checked: the blob comes from whoever connects.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export class CertFormatError extends Error {}

/** The certificate key types and the plain key type each embeds. */
export const CERT_TYPES: Record<string, string> = {
  'ssh-ed25519-cert-v01@openssh.com': 'ssh-ed25519',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': 'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': 'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': 'ecdsa-sha2-nistp521',
  'ssh-rsa-cert-v01@openssh.com': 'ssh-rsa',
};

/** The algorithm names a client offers a certificate under (RSA certificates are offered with their SHA-2 names). */
export const CERT_ALGOS: Record<string, string> = {
  ...Object.fromEntries(Object.keys(CERT_TYPES).map((t) => [t, t])),
  'rsa-sha2-256-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com': 'ssh-rsa-cert-v01@openssh.com',
};

export const USER_CERT = 1;
export const HOST_CERT = 2;

export interface SshCertificate {
  type: string;
  nonce: Buffer;
  /** The plain public key inside (an SSH public key blob of CERT_TYPES[type]). */
  publicKey: Buffer;
  serial: bigint;
  certType: number;
  keyId: string;
  principals: string[];
  /** Seconds since the epoch; validBefore 2^64-1 means forever. */
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: { name: string; data: Buffer }[];
  extensions: { name: string; data: Buffer }[];
  /** The CA's public key blob. */
  signatureKey: Buffer;
  /** The CA's signature blob (string algorithm, string signature). */
  signature: Buffer;
  /** Everything before the signature: what the CA signed. */
  signed: Buffer;
}

class Reader {
  #buf: Buffer;
  pos = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  u32(): number {
    if (this.pos + 4 > this.#buf.length) throw new CertFormatError('truncated');
    const v = this.#buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    if (this.pos + 8 > this.#buf.length) throw new CertFormatError('truncated');
    const v = this.#buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    if (this.pos + n > this.#buf.length) throw new CertFormatError('truncated');
    const v = this.#buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  text(): string {
    const b = this.bytes();
    const s = b.toString('utf8');
    if (Buffer.byteLength(s) !== b.length || /[\0-\x1f\x7f]/.test(s)) throw new CertFormatError('a text field holds control characters or is not UTF-8');
    return s;
  }
  get done(): boolean {
    return this.pos === this.#buf.length;
  }
}

export function sshString(b: Buffer | string): Buffer {
  const body = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
}

/** The parts of a plain key of `keyType`, read from `r`, as a plain public key blob. */
function readKeyParts(r: Reader, keyType: string): Buffer {
  const parts = keyType === 'ssh-ed25519' ? 1 : 2; // ed25519: pk; ecdsa: curve, Q; rsa: e, n
  const read = Array.from({ length: parts }, () => r.bytes());
  if (keyType === 'ssh-ed25519' && read[0]!.length !== 32) throw new CertFormatError('bad ed25519 key length');
  if (keyType.startsWith('ecdsa-') && read[0]!.toString() !== keyType.slice('ecdsa-sha2-'.length)) throw new CertFormatError('ecdsa curve does not match the key type');
  return Buffer.concat([sshString(keyType), ...read.map(sshString)]);
}

function readOptions(blob: Buffer, what: string): { name: string; data: Buffer }[] {
  const r = new Reader(blob);
  const out: { name: string; data: Buffer }[] = [];
  while (!r.done) {
    const name = r.text();
    // OpenSSH requires them in order, each once; a repeated name would let two values disagree.
    if (out.length && out.at(-1)!.name >= name) throw new CertFormatError(`${what} out of order or repeated: ${name}`);
    out.push({ name, data: r.bytes() });
  }
  return out;
}

/** Reads a certificate blob (what a client sends as its public key). Throws CertFormatError. */
export function parseCertificate(blob: Buffer): SshCertificate {
  const r = new Reader(blob);
  const type = r.text();
  const keyType = CERT_TYPES[type];
  if (!keyType) throw new CertFormatError(`not a supported certificate type: ${type.slice(0, 64)}`);
  const nonce = r.bytes();
  const publicKey = readKeyParts(r, keyType);
  const serial = r.u64();
  const certType = r.u32();
  const keyId = r.text();
  const pr = new Reader(r.bytes());
  const principals: string[] = [];
  while (!pr.done) principals.push(pr.text());
  const validAfter = r.u64();
  const validBefore = r.u64();
  const criticalOptions = readOptions(r.bytes(), 'critical options');
  const extensions = readOptions(r.bytes(), 'extensions');
  r.bytes(); // reserved
  const signatureKey = r.bytes();
  const signedEnd = r.pos;
  const signature = r.bytes();
  if (!r.done) throw new CertFormatError('trailing bytes');
  if (certType !== USER_CERT && certType !== HOST_CERT) throw new CertFormatError(`unknown certificate type ${certType}`);
  return { type, nonce, publicKey, serial, certType, keyId, principals, validAfter, validBefore, criticalOptions, extensions, signatureKey, signature, signed: blob.subarray(0, signedEnd) };
}

/** The value of a critical option whose data is one string (source-address, force-command). */
export function optionString(data: Buffer): string {
  if (data.length === 0) return '';
  const r = new Reader(data);
  const s = r.text();
  if (!r.done) throw new CertFormatError('trailing bytes in an option');
  return s;
}

/** What a certificate to write holds: a read one's fields, with option values as text and extensions by name. */
export type CertificateFields = Omit<SshCertificate, 'criticalOptions' | 'extensions' | 'signature' | 'signed'> & {
  criticalOptions: { name: string; value: string }[];
  extensions: string[];
};

/** Writes a certificate; `sign` returns the signature blob of the CA over the bytes it is given. */
export function encodeCertificate(f: CertificateFields, sign: (data: Buffer) => Buffer): Buffer {
  const pk = new Reader(f.publicKey);
  pk.text(); // the plain key type; its parts follow as they are
  const parts: Buffer[] = [];
  while (!pk.done) parts.push(sshString(pk.bytes()));
  const sorted = <T extends { name: string }>(xs: T[]) => [...xs].sort((a, b) => (a.name < b.name ? -1 : 1));
  const signed = Buffer.concat([
    sshString(f.type),
    sshString(f.nonce),
    ...parts,
    u64(f.serial),
    (() => { const b = Buffer.alloc(4); b.writeUInt32BE(f.certType); return b; })(),
    sshString(f.keyId),
    sshString(Buffer.concat(f.principals.map(sshString))),
    u64(f.validAfter),
    u64(f.validBefore),
    sshString(Buffer.concat(sorted(f.criticalOptions).map((o) => Buffer.concat([sshString(o.name), sshString(sshString(o.value))])))),
    sshString(Buffer.concat(sorted(f.extensions.map((name) => ({ name }))).map((e) => Buffer.concat([sshString(e.name), sshString('')])))),
    sshString(''),
    sshString(f.signatureKey),
  ]);
  return Buffer.concat([signed, sshString(sign(signed))]);
}

/** The key type named at the start of an SSH key blob (undefined if unreadable). */
export function blobType(blob: Buffer): string | undefined {
  try {
    return new Reader(blob).text();
  } catch {
    return undefined;
  }
}

const CURVES: Record<string, { crv: string; hash: string; size: number }> = {
  nistp256: { crv: 'P-256', hash: 'sha256', size: 32 },
  nistp384: { crv: 'P-384', hash: 'sha384', size: 48 },
  nistp521: { crv: 'P-521', hash: 'sha512', size: 66 },
};

const b64u = (b: Buffer) => b.toString('base64url');
/** An mpint without its sign byte, left-padded to `size` bytes. */
function unsigned(b: Buffer, size?: number): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  if (size === undefined) return v;
  if (v.length > size) throw new CertFormatError('integer too long');
  return Buffer.concat([Buffer.alloc(size - v.length), v]);
}

function keyObject(blob: Buffer): { key: KeyObject; type: string; curve?: (typeof CURVES)[string] } {
  const r = new Reader(blob);
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const pk = r.bytes();
    if (pk.length !== 32 || !r.done) throw new CertFormatError('bad ed25519 key');
    return { type, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(pk) }, format: 'jwk' }) };
  }
  if (type.startsWith('ecdsa-sha2-')) {
    const curve = CURVES[r.text()];
    const q = r.bytes();
    if (!curve || !r.done || q.length !== 1 + 2 * curve.size || q[0] !== 4) throw new CertFormatError('bad ecdsa key');
    const jwk = { kty: 'EC', crv: curve.crv, x: b64u(q.subarray(1, 1 + curve.size)), y: b64u(q.subarray(1 + curve.size)) };
    return { type, curve, key: createPublicKey({ key: jwk, format: 'jwk' }) };
  }
  if (type === 'ssh-rsa') {
    const e = r.bytes();
    const n = r.bytes();
    if (!r.done) throw new CertFormatError('bad rsa key');
    return { type, key: createPublicKey({ key: { kty: 'RSA', e: b64u(unsigned(e)), n: b64u(unsigned(n)) }, format: 'jwk' }) };
  }
  throw new CertFormatError(`unsupported key type ${type.slice(0, 64)}`);
}

/**
 * Whether `sigBlob` (string algorithm, string signature) is a valid signature of `data` by the plain public key
 * `keyBlob`. SHA-1 RSA signatures (ssh-rsa) are refused, as OpenSSH does by default. Never throws on bad input.
 */
export function verifySignature(keyBlob: Buffer, data: Buffer, sigBlob: Buffer): boolean {
  try {
    const { key, type, curve } = keyObject(keyBlob);
    const r = new Reader(sigBlob);
    const algo = r.text();
    const sig = r.bytes();
    if (!r.done) return false;
    if (type === 'ssh-ed25519') return algo === type && cryptoVerify(null, data, key, sig);
    if (curve) {
      if (algo !== type) return false;
      const rs = new Reader(sig);
      const raw = Buffer.concat([unsigned(rs.bytes(), curve.size), unsigned(rs.bytes(), curve.size)]);
      return rs.done && cryptoVerify(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' }, raw);
    }
    const hash = algo === 'rsa-sha2-256' ? 'sha256' : algo === 'rsa-sha2-512' ? 'sha512' : undefined;
    return hash !== undefined && cryptoVerify(hash, data, key, sig);
  } catch {
    return false;
  }
}
