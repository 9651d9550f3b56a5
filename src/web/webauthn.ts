// WebAuthn (security keys) as the console's second factor, with @simplewebauthn/server: options for the browser,
// then the checks of its answer against the challenge kept on the server, the relying party and the origin. Keys are
// bound to the relying party's DNS name (web.rpId, or the request's host name); browsers refuse an IP address.
import { isIP } from 'node:net';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { WebAuthnCredentialRecord, WebIdentity } from '../store/store.js';

export interface RelyingParty {
  rpId: string;
  /** The origin the browser must report: https://HOST[:PORT] as the request reached the console. */
  origin: string;
}

/** The relying party of a request; undefined where WebAuthn cannot work (an IP address, a host outside web.rpId). */
export function relyingParty(host: string | undefined, configured?: string): RelyingParty | undefined {
  if (!host) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${host}`);
  } catch {
    return undefined;
  }
  const name = url.hostname;
  if (isIP(name) || name.startsWith('[') || url.pathname !== '/' || url.username) return undefined;
  if (configured && name !== configured && !name.endsWith(`.${configured}`)) return undefined;
  return { rpId: configured ?? name, origin: url.origin };
}

export async function registrationOptions(account: string, existing: WebAuthnCredentialRecord[], rp: RelyingParty) {
  return generateRegistrationOptions({
    rpName: 'fumidai',
    rpID: rp.rpId,
    userName: account,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
    authenticatorSelection: { residentKey: 'discouraged', userVerification: 'preferred' },
  });
}

export type KeyCheck = { ok: true; credentialId: string } | { ok: false; reason: string };
type NewKey = Omit<WebAuthnCredentialRecord, 'createdAt'>;

/** Checks a registration answer; the key to store (the caller audits it first), or why not. */
export async function checkRegistration(account: string, response: unknown, challenge: string, rp: RelyingParty): Promise<{ ok: true; key: NewKey } | { ok: false; reason: string }> {
  try {
    const v = await verifyRegistrationResponse({ response: response as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: false });
    if (!v.verified) return { ok: false, reason: 'registration not verified' };
    const c = v.registrationInfo.credential;
    return { ok: true, key: { id: c.id, account, publicKey: Buffer.from(c.publicKey), counter: c.counter, transports: c.transports ?? [] } };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n', 1)[0]!.slice(0, 200) };
  }
}

export async function authenticationOptions(keys: WebAuthnCredentialRecord[], rp: RelyingParty) {
  return generateAuthenticationOptions({ rpID: rp.rpId, allowCredentials: keys.map((c) => ({ id: c.id, transports: c.transports })), userVerification: 'preferred' });
}

/**
 * Checks a login answer: a key of this account (not of another one), signed over the challenge for this relying party
 * and origin, with a signature counter that moves forward (a cloned key shows up as one that does not).
 */
export async function checkAssertion(
  store: Pick<WebIdentity, 'webAuthnCredential' | 'useWebAuthnCounter'>,
  account: string,
  response: unknown,
  challenge: string,
  rp: RelyingParty,
): Promise<KeyCheck> {
  const r = response as AuthenticationResponseJSON;
  const key = typeof r?.id === 'string' ? await store.webAuthnCredential(r.id) : undefined;
  if (!key || key.account !== account) return { ok: false, reason: 'not a key of this account' };
  try {
    const v = await verifyAuthenticationResponse({
      response: r,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      credential: { id: key.id, publicKey: new Uint8Array(key.publicKey), counter: key.counter, transports: key.transports as never },
      requireUserVerification: false,
    });
    if (!v.verified) return { ok: false, reason: 'signature not verified' };
    // Atomic across nodes: two logins with one answer, or a clone racing the key, move the counter once.
    if (!(await store.useWebAuthnCounter(key.id, v.authenticationInfo.newCounter))) return { ok: false, reason: 'signature counter did not go up' };
    return { ok: true, credentialId: key.id };
  } catch (err) {
    return { ok: false, reason: (err as Error).message.split('\n', 1)[0]!.slice(0, 200) };
  }
}
