// OpenSSH host certificates presented by ssh2's server, so that a client's known_hosts needs one `@cert-authority`
// line instead of a line per target. ssh2 names a host key algorithm after each parsed key's `type` and, in the key
// exchange, sends that key's getPublicSSH() as K_S and its sign() of the exchange hash. A certificate is presented by
// a key object derived from the plain private key whose type is the certificate's algorithm name, whose public blob
// is the certificate, and whose sign() hashes as that algorithm requires. One thing ssh2 cannot be told from outside:
// the signature's algorithm name, which it copies from the negotiated host key algorithm, whereas OpenSSH wants the
// plain one (`ssh-ed25519`, `rsa-sha2-512`, never `...-cert-v01@openssh.com`). One line of ssh2 1.17's kex module is
// changed as it loads (by the same load hook as the post-quantum exchange) to take the signature name from the key
// object when it has one; where ssh2's text differs, nothing is changed and no certificate is ever offered.
import { createRequire } from 'node:module';
import type ssh2 from 'ssh2';
import { CertFormatError, CERT_TYPES, HOST_CERT, parseCertificate } from './ssh-cert.js';

const SIG_ANCHOR = '        const sigType = this.negotiated.serverHostKey;\n';
const SIG_HOOK = '        const sigType = (this._hostKey && this._hostKey.hostSignatureType) || this.negotiated.serverHostKey;\n';
const MARK = '\nmodule.exports.HOST_CERT_SIGNATURES = true;\n';

/** ssh2's kex module source with the signature-name line changed, or undefined when it is not ssh2 1.17's text. */
export function insertSignatureTypeHook(source: string): string | undefined {
  const at = source.indexOf(SIG_ANCHOR);
  if (at < 0 || source.indexOf(SIG_ANCHOR, at + 1) >= 0 || !source.includes('\nmodule.exports = {')) return undefined;
  return source.slice(0, at) + SIG_HOOK + source.slice(at + SIG_ANCHOR.length) + MARK;
}

const require = createRequire(import.meta.url);

/** True when ssh2's kex module was loaded with the line changed: only then can a certificate be presented. */
export function hostCertsSupported(): boolean {
  return (require('ssh2/lib/protocol/kex.js') as { HOST_CERT_SIGNATURES?: boolean }).HOST_CERT_SIGNATURES === true;
}

interface CertAlgorithm {
  /** The host key algorithm offered in KEXINIT. */
  name: string;
  /** The signature's algorithm name inside the exchange reply. */
  signature: string;
  /** The hash an RSA signature uses (ed25519 and ECDSA have theirs fixed by the curve). */
  hash?: string;
}

/**
 * The host key algorithms a certificate of a plain key of `plainType` is offered under. RSA certificates go with
 * SHA-2 signatures only: `ssh-rsa-cert-v01@openssh.com` signs with SHA-1, which OpenSSH no longer accepts.
 */
export function certAlgorithms(plainType: string): CertAlgorithm[] {
  if (plainType === 'ssh-rsa') {
    return [
      { name: 'rsa-sha2-512-cert-v01@openssh.com', signature: 'rsa-sha2-512', hash: 'sha512' },
      { name: 'rsa-sha2-256-cert-v01@openssh.com', signature: 'rsa-sha2-256', hash: 'sha256' },
    ];
  }
  const name = `${plainType}-cert-v01@openssh.com`;
  return CERT_TYPES[name] === plainType ? [{ name, signature: plainType }] : [];
}

type ConvertSignature = (sig: Buffer, keyType: string) => Buffer | false | undefined;
// Required when used, not at import: this module is imported before ssh2 may load (see hybrid-kex.ts).
const convertSignature: ConvertSignature = (sig, keyType) => (require('ssh2/lib/protocol/utils.js') as { convertSignature: ConvertSignature }).convertSignature(sig, keyType);

/**
 * Key objects for ssh2's `hostKeys` that present `cert` (a host certificate of `key`) under each of its algorithms.
 * Throws CertFormatError when `cert` is not a host certificate of this very key; [] when ssh2 was loaded unchanged.
 */
export function hostCertKeys(key: ssh2.ParsedKey, cert: Buffer): ssh2.ParsedKey[] {
  const parsed = parseCertificate(cert);
  if (parsed.certType !== HOST_CERT) throw new CertFormatError('not a host certificate');
  if (!parsed.publicKey.equals(key.getPublicSSH())) throw new CertFormatError('the certificate is not of this host key');
  if (!key.isPrivateKey() || !hostCertsSupported()) return [];
  return certAlgorithms(key.type).map(({ name, signature, hash }) =>
    Object.create(key, {
      type: { value: name, enumerable: true },
      hostSignatureType: { value: signature },
      getPublicSSH: { value: () => cert },
      sign: {
        // ssh2 passes a hash only for the plain RSA names and converts ECDSA's DER only for plain type names.
        value: (data: Buffer) => {
          const sig = key.sign(data, hash);
          if (sig instanceof Error) return sig;
          return convertSignature(sig, key.type) || new Error(`cannot convert a ${key.type} signature`);
        },
      },
    }) as ssh2.ParsedKey,
  );
}
