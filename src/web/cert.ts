// The console's TLS certificate: self-signed by `init` with openssl (node:crypto makes keys, not X.509 certificates),
// pinned by its SHA-256 fingerprint, which init and serve print for the admin to compare in the browser.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { fail } from '../errors.js';

/** Creates the pair when either file is missing; true if it did. */
export function ensureSelfSigned(certFile: string, keyFile: string, hostName = 'localhost'): boolean {
  if (existsSync(certFile) && existsSync(keyFile)) return false;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825', '-subj', `/CN=${hostName}`,
      '-addext', `subjectAltName=DNS:${hostName},DNS:localhost,IP:127.0.0.1,IP:::1`, '-keyout', keyFile, '-out', certFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as Error & { code?: string; stderr?: Buffer };
    throw fail('WEB_CERT_FAILED', e.code === 'ENOENT' ? 'openssl is not installed' : (e.stderr?.toString().trim().split('\n').at(-1) ?? e.message));
  }
  chmodSync(keyFile, 0o600);
  return true;
}

/** SHA-256 of the certificate, as browsers show it (AA:BB:...). */
export function certFingerprint(certPem: string | Buffer): string {
  return new X509Certificate(certPem).fingerprint256;
}

export function readCertFingerprint(certFile: string): string {
  return certFingerprint(readFileSync(certFile));
}
