// `ssh alice@bastion cert [--for 2h]`: fumidai's CA signs the key alice logged in with, for as long as the config
// allows (certs.maxValidity) or less. Only after a login with the key and the second factor: a certificate login
// cannot renew itself (a stolen certificate would live for ever), and a key alone is less than what the certificate
// may later stand in for. Each certificate is recorded in the store and is a CertificateIssued event before it is shown.
import { fail } from '../errors.js';
import { fingerprintOf } from '../identity/public-key.js';
import { certificateLine, type UserCa } from '../identity/user-ca.js';
import { auditUnavailable, type AuditTrail } from '../audit/trail.js';
import { duration } from '../config/schema.js';
import type { Certificates } from '../store/store.js';
import type { Caller } from './login.js';

export interface IssueDeps {
  ca: UserCa;
  store: Pick<Certificates, 'nextCertSerial' | 'recordIssuedCert'>;
  audit: AuditTrail;
  /** Read at each request: a config reload applies at once. */
  maxValiditySec: () => number;
}

/** The key id of a certificate fumidai issues: who, and which serial (sshd logs it at each login). */
export const issuedKeyId = (user: string, serial: number) => `fumidai:${user}:${serial}`;

/** `cert`, `cert --for 2h`: the validity asked for in seconds (undefined: the longest allowed), or why not. */
export function parseCertArgs(args: string[]): { ok: true; forSec?: number } | { ok: false; why: string } {
  if (args.length === 0) return { ok: true };
  if (args.length === 2 && args[0] === '--for') {
    const d = duration.safeParse(/^\d+$/.test(args[1]!) ? Number(args[1]) : args[1]);
    return d.success ? { ok: true, forSec: d.data } : { ok: false, why: `--for takes a duration such as 30m, 2h or 1d, not '${args[1]}'` };
  }
  return { ok: false, why: `usage: cert [--for DURATION] (e.g. --for 2h)` };
}

export class CertificateIssuer {
  #deps: IssueDeps;

  constructor(deps: IssueDeps) {
    this.#deps = deps;
  }

  /**
   * The certificate line for the caller's key; throws CERT_NOT_ISSUED (after its event) when refused. `via`: the
   * console, for a user signed in through the IdP (their second factor) with a key they pasted or picked.
   */
  async issue(caller: Caller, args: string[], now = new Date(), via: 'ssh' | 'console' = 'ssh'): Promise<string> {
    const who = { user: caller.user, sourceIp: caller.sourceIp, sourcePort: caller.sourcePort };
    const refuse = async (why: string) => {
      await this.#deps.audit.record('CertificateIssueFailure', who, { ...(via === 'console' ? { via } : {}), reason: why, fingerprint: caller.keyFingerprint }).catch((err) => Promise.reject(auditUnavailable(err)));
      return fail('CERT_NOT_ISSUED', why);
    };
    if (caller.certificate) throw await refuse('this login used a certificate; log in with your key and second factor to get a new one');
    if (!caller.mfa || !caller.publicKey) throw await refuse('this login gave no second factor; a certificate is issued only after key and verification code');
    const asked = parseCertArgs(args);
    if (!asked.ok) throw await refuse(asked.why);
    const max = this.#deps.maxValiditySec();
    const validSec = Math.min(asked.forSec ?? max, max);
    const serial = await this.#deps.store.nextCertSerial();
    const keyId = issuedKeyId(caller.user, serial);
    // Valid from a minute ago: a target whose clock is a little behind still takes it at once.
    const validAfter = new Date(now.getTime() - 60_000);
    const validBefore = new Date(now.getTime() + validSec * 1000);
    const blob = this.#deps.ca.sign({ publicKey: caller.publicKey, serial: BigInt(serial), keyId, principals: [caller.user], validAfter, validBefore });
    const fingerprint = fingerprintOf(caller.publicKey);
    await this.#deps.store.recordIssuedCert({ serial, user: caller.user, keyId, fingerprint, validBefore: validBefore.toISOString() });
    // Fail closed: a certificate the trail does not know of is never handed out.
    await this.#deps.audit
      .record('CertificateIssued', who, { ...(via === 'console' ? { via } : {}), serial: String(serial), keyId, validAfter: validAfter.toISOString(), validBefore: validBefore.toISOString(), fingerprint, ...(asked.forSec && asked.forSec > max ? { reason: `--for capped at certs.maxValidity (${max}s)` } : {}) })
      .catch((err) => Promise.reject(auditUnavailable(err)));
    return certificateLine(blob, keyId);
  }
}

/**
 * Per-session certificates of fumidai's upstream key (`pubLine`, its .pub line): principal the login, the key id the
 * person and the audit key, valid a few minutes (only the login needs it; the session outlives it, as in OpenSSH).
 */
export function upstreamCertificates(ca: UserCa, pubLine: string, validitySec: () => number): (req: { login: string; keyId: string }) => Buffer {
  const publicKey = Buffer.from(pubLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return ({ login, keyId }) => {
    const now = Date.now();
    return ca.sign({ publicKey, serial: 0n, keyId, principals: [login], validAfter: new Date(now - 60_000), validBefore: new Date(now + validitySec() * 1000) });
  };
}
