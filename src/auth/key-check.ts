// Public-key authentication of the outer connection: the key identifies the user, whatever the SSH user name says.
// ssh2's server does not verify signatures itself: we compare the key blob and verify the signature here.
import ssh2, { type AuthContext } from 'ssh2';
import { fingerprintOf, sameBlob } from '../identity/public-key.js';
import type { Directory, UserRecord } from '../store/store.js';

export type AuthOutcome =
  | { kind: 'query-ok' } // key is known; the client will now sign
  | { kind: 'success'; user: UserRecord; fingerprint: string }
  | { kind: 'failure'; reason: string; fingerprint?: string; counts: boolean };

export async function checkPublicKey(ctx: AuthContext, store: Pick<Directory, 'findKey' | 'getUser'>): Promise<AuthOutcome> {
  if (ctx.method !== 'publickey') {
    // 'none' is how every client starts; it is not an attempt worth counting.
    return { kind: 'failure', reason: `method ${ctx.method} not offered`, counts: ctx.method !== 'none' };
  }
  const fingerprint = fingerprintOf(ctx.key.data);
  const known = await store.findKey(fingerprint);
  if (!known || !sameBlob(known.blob, ctx.key.data)) {
    // Each key offered counts toward the limit, as in sshd's MaxAuthTries (an unknown key is never signed).
    return { kind: 'failure', reason: 'unknown key', fingerprint, counts: true };
  }
  if (!ctx.signature || !ctx.blob) return { kind: 'query-ok' };
  const parsed = ssh2.utils.parseKey(ctx.key.data);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
    return { kind: 'failure', reason: 'bad signature', fingerprint, counts: true };
  }
  const user = await store.getUser(known.user);
  if (!user) return { kind: 'failure', reason: 'key owner no longer exists', fingerprint, counts: true };
  if (user.disabled) return { kind: 'failure', reason: `user '${user.name}' is disabled`, fingerprint, counts: true };
  return { kind: 'success', user, fingerprint };
}
