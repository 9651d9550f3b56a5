// Key pairs from ssh2's generator that ssh2 can read back. ssh2 1.17 strips leading zero bytes from an ed25519 public
// key it generates, so about one key in 256 is unreadable ("Malformed OpenSSH private key": mscdex/ssh2#1390, #1513);
// a test that drew one failed for a reason that is not its own. Such a draw is simply drawn again.
import ssh2 from 'ssh2';

export function readableKeyPair(type: 'ed25519' | 'ecdsa', opts?: { bits: 256 | 384 | 521 }): { private: string; public: string } {
  for (;;) {
    const pair = type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', opts ?? { bits: 256 }) : ssh2.utils.generateKeyPairSync('ed25519');
    const priv = ssh2.utils.parseKey(pair.private);
    const ok = !(priv instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error) && (type !== 'ed25519' || priv.getPublicSSH().length === 51);
    if (ok) return pair;
  }
}

/** The same, as a JavaScript expression for a script run in a fresh process that has `ssh2` imported. */
export const READABLE_ED25519_JS = `(() => { for (;;) { const k = ssh2.utils.generateKeyPairSync('ed25519'); const p = ssh2.utils.parseKey(k.private); if (!(p instanceof Error) && !(ssh2.utils.parseKey(k.public) instanceof Error) && p.getPublicSSH().length === 51) return k.private; } })()`;
