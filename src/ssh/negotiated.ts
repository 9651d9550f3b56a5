// What a client and fumidai agreed on at the key exchange, as the AuthSuccess event records it: auditors look for weak
// choices, support for why a client is slow (a cipher without the fast path). Pure.
import type { NegotiatedAlgorithms } from 'ssh2';

export interface SshAlgorithms {
  kex: string;
  hostKey: string;
  /** The cipher; `client-to-server / server-to-client` when the two directions differ. */
  cipher: string;
  /** Only with a cipher that needs a separate MAC (the -ctr ones). */
  mac?: string;
}

export function agreedAlgorithms(n: NegotiatedAlgorithms): SshAlgorithms {
  const both = (a: string, b: string) => (a === b ? a : `${a} / ${b}`);
  const agreed: SshAlgorithms = { kex: n.kex, hostKey: n.serverHostKey, cipher: both(n.cs.cipher, n.sc.cipher) };
  if (n.cs.mac || n.sc.mac) agreed.mac = both(n.cs.mac, n.sc.mac);
  return agreed;
}
