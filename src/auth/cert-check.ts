// A user certificate offered in place of a registered key: signed by a trusted CA (fumidai's own, or one in
// certs.trustedUserCAs), for a known user, valid now, not revoked, its critical options understood and met, and the
// client's signature made by the certified key. ssh2 passes a certificate through as an opaque key: the signature
// blob arrives whole (string algorithm, string signature) and is checked here with the key inside the certificate.
// Every refusal names its reason ('certificate expired', 'certificate principal', ...) for the client and the trail.
import type { AuthContext } from 'ssh2';
import { fingerprintOf } from '../identity/public-key.js';
import { inCidrs } from '../policy/engine.js';
import { CERT_ALGOS, CERT_TYPES, CertFormatError, optionString, parseCertificate, USER_CERT, verifySignature, type SshCertificate } from '../ssh/ssh-cert.js';
import type { Certificates, Directory, UserRecord } from '../store/store.js';
import type { CertificateFacts } from '../audit/events.js';

/** The CAs whose user certificates are accepted, by fingerprint; `own` marks fumidai's. */
export type TrustedCas = Map<string, { blob: Buffer; own: boolean }>;

export type CertOutcome =
  | { kind: 'query-ok' }
  | { kind: 'success'; user: UserRecord; fingerprint: string; certificate: CertificateFacts; ownCa: boolean }
  | { kind: 'failure'; reason: string; fingerprint?: string; userName?: string };

/** Critical options fumidai understands and enforces; any other refuses the certificate, as OpenSSH does. */
const KNOWN_OPTIONS = new Set(['source-address', 'force-command']);
const NEVER = 0xffffffffffffffffn;

export function isCertificateAlgo(algo: string): boolean {
  return algo in CERT_ALGOS;
}

export interface CertCheckDeps {
  store: Pick<Directory, 'getUser'> & Pick<Certificates, 'certRevocation'>;
  trusted: TrustedCas;
  clockSkewSec: number;
  now?: Date;
}

export async function checkCertificate(ctx: AuthContext, source: { sourceIp: string }, deps: CertCheckDeps): Promise<CertOutcome> {
  if (ctx.method !== 'publickey') return { kind: 'failure', reason: 'not a public key' };
  let cert: SshCertificate;
  try {
    cert = parseCertificate(ctx.key.data);
  } catch (err) {
    return { kind: 'failure', reason: `certificate unreadable: ${err instanceof CertFormatError ? err.message : 'bad encoding'}`, fingerprint: fingerprintOf(ctx.key.data) };
  }
  const fingerprint = fingerprintOf(cert.publicKey);
  const refuse = (reason: string, user?: string): CertOutcome => ({ kind: 'failure', reason, fingerprint, ...(user ? { userName: user } : {}) });
  if (CERT_ALGOS[ctx.key.algo] !== cert.type) return refuse('certificate type does not match the algorithm offered');
  if (cert.certType !== USER_CERT) return refuse('certificate is a host certificate');
  const ca = fingerprintOf(cert.signatureKey);
  const trust = deps.trusted.get(ca);
  if (!trust) return refuse(`certificate untrusted CA (${ca})`);
  if (!verifySignature(cert.signatureKey, cert.signed, cert.signature)) return refuse('certificate signature by its CA is invalid');
  const now = BigInt(Math.floor((deps.now ?? new Date()).getTime() / 1000));
  const skew = BigInt(deps.clockSkewSec);
  if (now + skew < cert.validAfter) return refuse(`certificate not yet valid (valid after ${secondsToIso(cert.validAfter)})`);
  if (cert.validBefore !== NEVER && now - skew >= cert.validBefore) return refuse(`certificate expired (valid before ${secondsToIso(cert.validBefore)})`);
  // The user is the principal: the only one, or the one the SSH user name names.
  const name = cert.principals.length === 1 ? cert.principals[0]! : cert.principals.find((p) => p === ctx.username);
  if (!name) return refuse(cert.principals.length ? `certificate principal: none of ${cert.principals.join(', ')} is the user name given` : 'certificate principal: it names none');
  const user = await deps.store.getUser(name);
  if (!user) return refuse(`certificate principal '${name}' is not a fumidai user`);
  if (user.disabled) return refuse(`user '${name}' is disabled`, name);
  let forceCommand: string | undefined;
  for (const opt of cert.criticalOptions) {
    if (!KNOWN_OPTIONS.has(opt.name)) return refuse(`certificate critical option '${opt.name}' is not supported`, name);
    let value: string;
    try {
      value = optionString(opt.data);
    } catch {
      return refuse(`certificate critical option '${opt.name}' is unreadable`, name);
    }
    if (opt.name === 'force-command') forceCommand = value;
    if (opt.name === 'source-address' && !sourceAllowed(source.sourceIp, value)) return refuse(`certificate source-address: ${source.sourceIp} is not in ${value}`, name);
  }
  const serial = cert.serial;
  const revoked = await deps.store.certRevocation(ca, storedSerial(serial), cert.keyId);
  if (revoked) return refuse(`certificate revoked (${revoked.keyId !== undefined ? `key id ${revoked.keyId}` : `serial ${revoked.serial}`}: ${revoked.reason})`, name);
  if (!ctx.signature || !ctx.blob) return { kind: 'query-ok' };
  if (!verifySignature(cert.publicKey, ctx.blob, ctx.signature)) return refuse('bad signature', name);
  const certificate: CertificateFacts = {
    serial: serial.toString(), keyId: cert.keyId, ca, validBefore: cert.validBefore === NEVER ? 'forever' : secondsToIso(cert.validBefore),
    ...(forceCommand !== undefined ? { forceCommand } : {}),
  };
  return { kind: 'success', user, fingerprint, certificate, ownCa: trust.own };
}

/**
 * A serial as the store keeps it (a safe integer). Some CAs pick random 64-bit serials: those cannot be revoked by
 * serial (-1 matches nothing), only by key id; rounding them could revoke a neighbour instead.
 */
export function storedSerial(serial: bigint | string): number {
  const n = BigInt(serial);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : -1;
}

/** source-address: a comma-separated list of addresses and CIDR blocks; an entry that does not parse matches nothing. */
function sourceAllowed(ip: string, list: string): boolean {
  const cidrs = list.split(',').map((c) => c.trim()).filter((c) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c));
  try {
    return inCidrs(ip, cidrs);
  } catch {
    return false;
  }
}

function secondsToIso(s: bigint): string {
  const ms = Number(s) * 1000;
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(s);
}

/** The CAs trusted now: fumidai's own and each parseable line of certs.trustedUserCAs. */
export function trustedCas(own: { publicBlob: Buffer } | undefined, lines: string[]): TrustedCas {
  const out: TrustedCas = new Map();
  if (own) out.set(fingerprintOf(own.publicBlob), { blob: own.publicBlob, own: true });
  for (const line of lines) {
    const [type, b64] = line.trim().split(/\s+/);
    if (!type || !b64 || type in CERT_TYPES) continue; // a CA is a plain key; a certificate cannot sign
    const blob = Buffer.from(b64, 'base64');
    if (!out.has(fingerprintOf(blob))) out.set(fingerprintOf(blob), { blob, own: false });
  }
  return out;
}
