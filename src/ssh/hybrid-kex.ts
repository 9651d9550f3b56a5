// Post-quantum hybrid key exchange for ssh2, on both sides (the front door and the connections to targets). OpenSSH
// 10 clients prefer mlkem768x25519-sha256 and from 10.1 warn on every connection without a post-quantum exchange;
// ssh2 1.17 has none. It picks the exchange class inside a closure of its kex module, with no option and no export,
// so that module is loaded with one line added where it picks: a name found in the module's EXTRA_KEX map is built
// by the map's factory, which receives ssh2's own KeyExchange base class (packets, exchange hash, signature, key
// derivation and strict kex stay ssh2's). The line goes in only where ssh2 1.17's text matches exactly; elsewhere
// nothing is changed and the hybrid is simply not offered. The same load carries host-cert-key.ts's line (the host
// certificates' signature name). Must be imported before anything loads ssh2; imported first by the CLI entry point.
import nodeModule, { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { insertSignatureTypeHook } from './host-cert-key.js';
import { mlkem768x25519, type ClientState, type HybridKem } from './mlkem-x25519.js';

const ANCHOR = '      args = [negotiated, ...args];\n      switch (kexType) {\n';
const HOOK =
  '      args = [negotiated, ...args];\n' +
  '      { const extra = module.exports.EXTRA_KEX && module.exports.EXTRA_KEX.get(kexType); if (extra) return extra(KeyExchange, args); }\n' +
  '      switch (kexType) {\n';

/** ssh2's kex module source with the hook line, or undefined when the text is not ssh2 1.17's (anchor not found once). */
export function insertHook(source: string): string | undefined {
  const at = source.indexOf(ANCHOR);
  if (at < 0 || source.indexOf(ANCHOR, at + 1) >= 0) return undefined;
  return source.slice(0, at) + HOOK + source.slice(at + ANCHOR.length);
}

/** The members of ssh2's KeyExchange that the hybrid uses; it overrides the four key-specific methods. */
interface KexBase {
  _protocol: { _server: boolean };
  type: string;
  hashName: string;
}
type KexClass = new (...args: unknown[]) => KexBase;

/** A subclass of ssh2's KeyExchange for one hybrid KEM: the client's share is its "public key", the server's reply its. */
export function hybridExchange(Base: KexClass, kem: HybridKem): KexClass {
  return class HybridExchange extends Base {
    #client: ClientState | undefined;
    #reply: Buffer | undefined;
    constructor(...args: unknown[]) {
      super(...args);
      this.type = 'hybrid';
      this.hashName = kem.hash;
    }
    generateKeys(): void {} // the client's share is made on first use, the server's reply with the secret
    getPublicKey(): Buffer | undefined {
      if (this._protocol._server) return this.#reply;
      this.#client ??= kem.clientInit();
      return this.#client.init;
    }
    convertPublicKey(key: Buffer): Buffer {
      return key; // a byte string, not an integer: no mpint trimming
    }
    /** K, raw: ssh2 hashes and derives keys from it as an SSH string. An Error fails the exchange (ssh2's contract). */
    computeSecret(peer: Buffer): Buffer | Error {
      try {
        if (!this._protocol._server) {
          if (!this.#client) throw new Error('no client key share was sent');
          return kem.clientSecret(this.#client, peer);
        }
        const { reply, secret } = kem.serverReply(peer);
        this.#reply = reply;
        return secret;
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }
  };
}

/** The hybrid exchanges fumidai adds, best first. */
const HYBRIDS: HybridKem[] = [mlkem768x25519];

type Factory = (Base: KexClass, args: unknown[]) => KexBase;

function apply(): boolean {
  const require = createRequire(import.meta.url);
  const path = require.resolve('ssh2/lib/protocol/kex.js');
  if (require.cache[path]) return false; // loaded (or loading) already: too late to add the line
  const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
  if (!registerHooks) return false; // Node 22 before 22.15
  const url = pathToFileURL(path).href;
  let hooked = false;
  const hooks = registerHooks({
    load(u, context, next) {
      const loaded = next(u, context);
      if (u !== url) return loaded;
      let source = String(loaded.source);
      const hybrid = insertHook(source);
      if (hybrid !== undefined) [source, hooked] = [hybrid, true];
      // The same load carries the host certificates' line (host-cert-key.ts): ssh2's kex module loads once.
      source = insertSignatureTypeHook(source) ?? source;
      return { ...loaded, source };
    },
  });
  let kex: { EXTRA_KEX?: Map<string, Factory> };
  try {
    kex = require(path);
  } finally {
    hooks.deregister();
  }
  if (!hooked) return false;
  const classes = new WeakMap<KexClass, Map<HybridKem, KexClass>>();
  const classFor = (Base: KexClass, kem: HybridKem): KexClass => {
    const byKem = classes.get(Base) ?? new Map<HybridKem, KexClass>();
    classes.set(Base, byKem);
    if (!byKem.has(kem)) byKem.set(kem, hybridExchange(Base, kem));
    return byKem.get(kem)!;
  };
  kex.EXTRA_KEX = new Map(HYBRIDS.map((kem) => [kem.name, (Base: KexClass, args: unknown[]) => new (classFor(Base, kem))(...args)]));
  // ssh2 refuses names outside this list in a Client's or Server's algorithms; it is one shared array.
  const constants = require('ssh2/lib/protocol/constants.js') as { SUPPORTED_KEX: string[] };
  for (const kem of HYBRIDS) if (!constants.SUPPORTED_KEX.includes(kem.name)) constants.SUPPORTED_KEX.push(kem.name);
  return true;
}

interface RegisterHooks {
  (hooks: {
    load(url: string, context: unknown, next: (url: string, context: unknown) => { source?: unknown }): { source?: unknown };
  }): { deregister(): void };
}

/** True when ssh2 was loaded with the hybrid exchanges (false if its kex module had been loaded before). */
export const hybridKexApplied = apply();

/** The hybrid exchanges this process can offer, best first (none when the patch could not be applied). */
export const HYBRID_KEX: readonly string[] = hybridKexApplied ? HYBRIDS.map((k) => k.name) : [];

/** ssh2's default key exchanges with the post-quantum hybrid first: what fumidai offers on both sides. */
export const KEX_ALGORITHMS: readonly string[] = (() => {
  const { DEFAULT_KEX } = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as { DEFAULT_KEX: string[] };
  return [...HYBRID_KEX, ...DEFAULT_KEX.filter((k) => !HYBRID_KEX.includes(k))];
})();
