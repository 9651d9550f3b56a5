// fumidai's host certificate authority: an ed25519 key of its own in the data directory (0600, made like the user
// CA's), kept apart from the user CA so that trusting one for logins never means trusting it for host identity. It
// signs host certificates of fumidai's host keys, one set per name a client connects to (a ProxyJump target's name,
// the bastion's configured names), so a client's known_hosts holds one `@cert-authority` line for them all. Those
// certificates are signed in memory when first needed and again once half their validity has gone.
import type ssh2 from 'ssh2';
import { HOST_CERT } from '../ssh/ssh-cert.js';
import { ensureUserCaKey, loadUserCa, type UserCa } from './user-ca.js';

export class HostCa {
  readonly #ca: UserCa;
  constructor(ca: UserCa) {
    this.#ca = ca;
  }
  get fingerprint(): string {
    return this.#ca.fingerprint;
  }

  /** `@cert-authority * ssh-ed25519 AAAA... fumidai host CA`: the known_hosts line trusting it for `hosts` (patterns). */
  knownHostsLine(hosts = '*'): string {
    const [type, blob] = this.#ca.publicLine.split(' ');
    return `@cert-authority ${hosts} ${type} ${blob} fumidai host CA`;
  }

  /** A host certificate of the plain public key blob `hostKey` for `principals`, valid from 5 minutes ago. */
  certify(hostKey: Buffer, principals: string[], validitySec: number, now: number, serial: bigint): Buffer {
    return this.#ca.sign({
      publicKey: hostKey,
      certType: HOST_CERT,
      serial,
      keyId: `fumidai-host:${principals.join(',')}`,
      principals,
      validAfter: new Date(now - 300_000), // a client whose clock is a little behind still accepts it
      validBefore: new Date(now + validitySec * 1000),
    });
  }
}

export function ensureHostCaKey(file: string): boolean {
  return ensureUserCaKey(file, 'fumidai-host-ca');
}

export function loadHostCa(file: string): HostCa {
  return new HostCa(loadUserCa(file, 'HOST_CA_MISSING'));
}

/** What ssh2 is given as host keys: the plain keys, then (if any) objects presenting certificates. */
export type HostKeyEntries = Array<Buffer | { key: ssh2.ParsedKey }>;
