// The server chooses the cipher: the first of its own list (ssh.ciphers, in order of preference) that the client
// supports. SSH lets the client choose (its first choice among the server's offer) and OpenSSH lists
// chacha20-poly1305 first, slower to relay than AES-GCM (ssh2's native fast path); offering AES-GCM only kept
// OpenSSH fast but shut out clients without it (paramiko 2.12, libssh2 1.10). So the server's KEXINIT waits for the
// client's (RFC 4253 7.1 lets either side send first) and then offers, per direction, just the cipher chosen; a
// client that supports none of the list gets the whole list and fails as before. The offer stays for later rekeys.
// ssh2 sends its KEXINIT as soon as it has read the client's version line and has no hook for this: its kex module's
// exports are wrapped before its protocol module, which takes them once when it loads, is loaded.
// Must be imported before anything loads ssh2; imported first by the CLI entry point.
import { createRequire } from 'node:module';

/** Without the client's KEXINIT after this long the full offer goes out: a client that waits for ours still connects. */
export const CLIENT_KEXINIT_WAIT_MS = 1000;
const KEXINIT = 20;

/** Per direction: the server's first cipher that the client lists too, or the server's whole list when none is. */
export function chooseCipher(server: readonly string[], client: readonly string[]): string[] {
  const chosen = server.find((c) => client.includes(c));
  return chosen ? [chosen] : [...server];
}

/** The client's cipher lists (client to server, server to client) from a KEXINIT payload; undefined if malformed. */
export function clientCiphers(payload: Buffer): { cs: string[]; sc: string[] } | undefined {
  const lists: string[][] = [];
  let p = 17; // message type and cookie
  for (let i = 0; i < 4; i++) {
    if (p + 4 > payload.length) return undefined;
    const len = payload.readUInt32BE(p);
    if (p + 4 + len > payload.length) return undefined;
    lists.push(len ? payload.toString('latin1', p + 4, p + 4 + len).split(',') : []);
    p += 4 + len;
  }
  return { cs: lists[2]!, sc: lists[3]! };
}

type List = { array: string[] };
type Lists = { kex: List; serverHostKey: List; cs: Record<'cipher' | 'mac' | 'compress' | 'lang', List>; sc: Record<'cipher' | 'mac' | 'compress' | 'lang', List> };
type KexInitClass = new (lists: unknown) => { lists: Lists };
const WAITING = Symbol('fumidai.kexinitWaiting');
const CHOSEN = Symbol('fumidai.cipherChosen');
type Proto = { _server: boolean; _kex: unknown; _destruct: unknown; _offer: { lists: Lists }; _debug?: (m: string) => void; [WAITING]?: boolean; [CHOSEN]?: boolean };

/** The offer with each direction's ciphers narrowed to the choice for this client. */
function narrowed(KexInit: KexInitClass, offer: Lists, client: { cs: string[]; sc: string[] }): InstanceType<KexInitClass> {
  const side = (s: Lists['cs'], ciphers: string[]) => ({ cipher: chooseCipher(s.cipher.array, ciphers), mac: s.mac.array, compress: s.compress.array, lang: s.lang.array });
  return new KexInit({ kex: offer.kex.array, serverHostKey: offer.serverHostKey.array, cs: side(offer.cs, client.cs), sc: side(offer.sc, client.sc) });
}

/** True when ssh2 was loaded with the server's cipher choice (false if its protocol module had been loaded before). */
export const cipherChoiceInstalled = (() => {
  const require = createRequire(import.meta.url);
  // In the cache is not enough: Node 22 and later put a CommonJS module that ESM imports there before running it.
  if (require.cache[require.resolve('ssh2/lib/protocol/Protocol.js')]?.loaded) return false;
  const kex = require('ssh2/lib/protocol/kex.js') as {
    KexInit: KexInitClass;
    kexinit: (self: Proto) => void;
    onKEXPayload: (this: Proto, state: unknown, payload: Buffer) => unknown;
  };
  const { KexInit, kexinit: send, onKEXPayload: receive } = kex;
  kex.kexinit = (self) => {
    if (!self._server || self._kex !== undefined || self[CHOSEN]) return send(self);
    self[WAITING] = true; // first handshake of a server: wait for the client's list
    setTimeout(() => {
      if (!self[WAITING] || !self._destruct) return; // answered already, or the connection is gone
      self[WAITING] = false;
      self[CHOSEN] = true;
      send(self);
    }, CLIENT_KEXINIT_WAIT_MS).unref();
  };
  kex.onKEXPayload = function (this: Proto, state: unknown, payload: Buffer) {
    if (this[WAITING] && payload[0] === KEXINIT) {
      this[WAITING] = false;
      this[CHOSEN] = true;
      const client = clientCiphers(payload);
      if (client) this._offer = narrowed(KexInit, this._offer.lists, client);
      this._debug?.(`Handshake: server's cipher choice: ${this._offer.lists.cs.cipher.array} / ${this._offer.lists.sc.cipher.array}`);
      send(this);
    }
    return receive.call(this, state, payload);
  };
  return true;
})();
