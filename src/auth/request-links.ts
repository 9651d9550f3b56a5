// Signed links to decide an access request from a message (the request webhook): an HMAC-SHA256 over the request id,
// the action and the link's expiry, with a key kept in the data directory (0600, made once). A link only opens the
// console's confirm page: the decision still takes a console login and a CSRF-protected button.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export type LinkAction = 'approve' | 'deny';

/** A link's path and query as signedPath makes them: the only place a login goes on to after signing in. */
export const LINK_URL = /^\/requests\/[1-9]\d{0,9}\/(approve|deny)\?exp=\d{1,12}&sig=[A-Za-z0-9_-]{43}$/;

/** The key from its file; made (32 random bytes, 0600) when there is none. Exclusive create: two starters agree. */
export function loadLinkKey(file: string): Buffer {
  try {
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`${file}: a request link key must hold at least 32 bytes (base64)`);
  return key;
}

const mac = (key: Buffer, id: number, action: LinkAction, exp: number): Buffer => createHmac('sha256', key).update(`fumidai-request-link\n${id}\n${action}\n${exp}`).digest();

/** The path and query of a link (the console's URL goes before it); `exp` in seconds since the epoch. */
export function signedPath(key: Buffer, id: number, action: LinkAction, exp: number): string {
  return `/requests/${id}/${action}?exp=${exp}&sig=${mac(key, id, action, exp).toString('base64url')}`;
}

/** Why a link is refused (one line), or undefined when it is good at `now` (ms). */
export function linkProblem(key: Buffer, id: number, action: LinkAction, exp: string | undefined, sig: string | undefined, now = Date.now()): string | undefined {
  if (!exp || !/^\d{1,12}$/.test(exp) || !sig || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return 'the link is incomplete (no expiry or signature)';
  const expected = mac(key, id, action, Number(exp));
  if (!timingSafeEqual(expected, Buffer.from(sig, 'base64url'))) return 'the link is not signed by this bastion for this request and action';
  if (Number(exp) * 1000 <= now) return `the link expired at ${new Date(Number(exp) * 1000).toISOString()}`;
  return undefined;
}
