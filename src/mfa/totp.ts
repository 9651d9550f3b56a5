// RFC 6238 TOTP with Google Authenticator's defaults (SHA-1, 6 digits, 30 s), via otpauth (constant-time compare).
import * as OTPAuth from 'otpauth';

export const PERIOD = 30;

export function newSecretBase32(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

export function otpauthUri(secretBase32: string, user: string, issuer = 'fumidai'): string {
  return new OTPAuth.TOTP({ issuer, label: user, secret: OTPAuth.Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: PERIOD }).toString();
}

/**
 * Checks a code with ±1 step of clock drift. Returns the time step the code belongs to (so the caller can refuse a
 * second use of it), or undefined when the code is wrong or malformed.
 */
export function matchStep(secretBase32: string, code: string, now = Date.now()): number | undefined {
  const token = code.trim();
  if (!/^\d{6}$/.test(token)) return undefined;
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: PERIOD });
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  if (delta === null) return undefined;
  return Math.floor(now / 1000 / PERIOD) + delta;
}
