// The host keys a listener presents when host certificates are on: fumidai's plain host keys (a client that wants no
// certificate, or pins the plain key, sees exactly what it saw before), then each key's certificate for the names the
// client may use there. Certificates are signed on first use per set of names and again once half their validity has
// gone, so a long-running bastion never presents an expired one.
import ssh2 from 'ssh2';
import { hostCertKeys } from '../ssh/host-cert-key.js';
import type { HostCa, HostKeyEntries } from './host-ca.js';

/** Distinct name sets kept; past it the cache starts again (each set costs one signature per host key). */
const MAX_SETS = 4096;

export interface HostCertificateSigned {
  principals: string[];
  serial: string;
  hostKeyType: string;
  validBefore: string;
}

export class HostCertificates {
  readonly #ca: Pick<HostCa, 'certify'>;
  readonly #plain: Buffer[];
  readonly #keys: ssh2.ParsedKey[];
  readonly #validitySec: () => number;
  readonly #now: () => number;
  readonly #onSigned: (s: HostCertificateSigned) => void;
  readonly #onError: (err: Error) => void;
  readonly #bastionNames: string[];
  #cache = new Map<string, { entries: HostKeyEntries; renewAt: number }>();
  #counter = 0;

  constructor(opts: {
    ca: Pick<HostCa, 'certify'>;
    hostKeys: Buffer[];
    bastionNames: string[];
    validitySec: () => number;
    now?: () => number;
    onSigned?: (s: HostCertificateSigned) => void;
    onError?: (err: Error) => void;
  }) {
    this.#ca = opts.ca;
    this.#plain = opts.hostKeys;
    this.#keys = opts.hostKeys.map((k) => {
      const parsed = ssh2.utils.parseKey(k);
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key || key instanceof Error) throw new Error(`unreadable host key: ${key instanceof Error ? key.message : 'empty'}`);
      return key;
    });
    this.#bastionNames = opts.bastionNames;
    this.#validitySec = opts.validitySec;
    this.#now = opts.now ?? Date.now;
    this.#onSigned = opts.onSigned ?? (() => undefined);
    this.#onError = opts.onError ?? (() => undefined);
  }

  /** For a ProxyJump inner server: certificates naming the target as the client typed it. */
  forTarget(name: string): HostKeyEntries {
    return this.#entries([name]);
  }

  /** For the bastion's own listener: certificates naming its configured names (none configured: plain keys only). */
  forBastion(): HostKeyEntries {
    return this.#bastionNames.length ? this.#entries(this.#bastionNames) : this.#plain;
  }

  /** A signature that fails leaves the plain keys alone on offer (the client sees what it saw before) until the next try. */
  #entries(principals: string[]): HostKeyEntries {
    try {
      return this.#signed(principals);
    } catch (err) {
      this.#onError(err instanceof Error ? err : new Error(String(err)));
      return this.#plain;
    }
  }

  #signed(principals: string[]): HostKeyEntries {
    const id = principals.join('\0');
    const now = this.#now();
    const hit = this.#cache.get(id);
    if (hit && now < hit.renewAt) return hit.entries;
    const validity = this.#validitySec();
    const certified = this.#keys.flatMap((key) => {
      // Serials: milliseconds then a counter, unique within a node and ordered by signing time.
      const serial = BigInt(now) * 1000n + BigInt(this.#counter++ % 1000);
      const cert = this.#ca.certify(key.getPublicSSH(), principals, validity, now, serial);
      const wrapped = hostCertKeys(key, cert);
      if (wrapped.length) this.#onSigned({ principals, serial: String(serial), hostKeyType: key.type, validBefore: new Date(now + validity * 1000).toISOString() });
      return wrapped.map((k) => ({ key: k }));
    });
    const entries: HostKeyEntries = [...this.#plain, ...certified];
    if (this.#cache.size >= MAX_SETS) this.#cache.clear();
    this.#cache.set(id, { entries, renewAt: now + (validity * 1000) / 2 });
    return entries;
  }
}
