// Public-key authentication with an OpenSSH certificate from ssh2's client, which has none: it sends a key's own
// type as the algorithm and inside the signature, and the key's plain blob. A certificate login needs the
// certificate's type and blob in the request, and the plain type (ssh-ed25519) inside the signature, or sshd refuses
// it. So ssh2's authPK is wrapped, once: for a key made by certificateKey() (and only for it) the request is written
// here and sent through ssh2's own packet writer; every other key goes through ssh2's code untouched. The members of
// ssh2 this uses (_packetRW, _kex.sessionID, _authsQueue, sendPacket) are checked when the wrap is installed: without
// them certificate login reports itself unavailable instead of sending a malformed request.
import { createRequire } from 'node:module';
import ssh2, { type ParsedKey } from 'ssh2';
import { blobType, CERT_TYPES, sshString } from './ssh-cert.js';

interface ProtocolLike {
  _packetRW: { write: { alloc(n: number): Buffer; allocStart: number; finalize(p: Buffer): Buffer } };
  _kex: { sessionID: Buffer };
  _authsQueue: string[];
}
type AuthPK = (this: ProtocolLike, username: string, key: unknown, keyAlgo?: unknown, cbSign?: unknown) => void;
type SignCallback = (data: Buffer, done: (signature: Buffer) => void) => void;

/** Certificate blob and type of each key certificateKey() made. */
const CERTS = new WeakMap<object, { blob: Buffer; type: string }>();
const USERAUTH_REQUEST = 50;

/** The payload of a publickey USERAUTH_REQUEST (with or without the signature flag). */
export function publickeyRequest(username: string, algo: string, blob: Buffer, signed: boolean): Buffer {
  return Buffer.concat([Buffer.from([USERAUTH_REQUEST]), sshString(username), sshString('ssh-connection'), sshString('publickey'), Buffer.from([signed ? 1 : 0]), sshString(algo), sshString(blob)]);
}

function install(): boolean {
  const require = createRequire(import.meta.url);
  const Protocol = require('ssh2/lib/protocol/Protocol.js') as { prototype: { authPK: AuthPK } };
  const { sendPacket } = require('ssh2/lib/protocol/utils.js') as { sendPacket?: (proto: unknown, packet: Buffer) => void };
  const original = Protocol.prototype.authPK;
  if (typeof original !== 'function' || typeof sendPacket !== 'function') return false;
  const send = (proto: ProtocolLike, payload: Buffer) => {
    const w = proto._packetRW.write;
    const packet = w.alloc(payload.length);
    packet.set(payload, w.allocStart);
    proto._authsQueue.push('publickey');
    sendPacket(proto, w.finalize(packet));
  };
  Protocol.prototype.authPK = function (this: ProtocolLike, username, key, keyAlgo, cbSign) {
    const cert = typeof key === 'object' && key !== null ? CERTS.get(key) : undefined;
    if (!cert) return original.call(this, username, key, keyAlgo, cbSign);
    const sign = (typeof keyAlgo === 'function' ? keyAlgo : cbSign) as SignCallback | undefined;
    if (!this._packetRW?.write || !Array.isArray(this._authsQueue)) throw new Error('ssh2 internals changed: certificate login unavailable');
    if (!sign) return send(this, publickeyRequest(username, cert.type, cert.blob, false));
    const body = publickeyRequest(username, cert.type, cert.blob, true);
    sign(Buffer.concat([sshString(this._kex.sessionID), body]), (signature) => {
      // The signature names the plain key's algorithm (ssh-ed25519), never the certificate's.
      send(this, Buffer.concat([body, sshString(Buffer.concat([sshString(CERT_TYPES[cert.type]!), sshString(signature)]))]));
    });
  };
  return true;
}

/** Whether ssh2 can log in with certificates in this process. */
export const certificateAuthInstalled = install();

/**
 * A key for ssh2's client (`authHandler` → `{ type: 'publickey', username, key }`) that logs in with `certBlob`, an
 * OpenSSH certificate of `privateKey`'s public half. Only ed25519 keys: fumidai's own upstream key is one.
 */
export function certificateKey(privateKey: Buffer, certBlob: Buffer): ParsedKey {
  if (!certificateAuthInstalled) throw new Error('certificate login is not available with this ssh2');
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) throw new Error('the upstream key cannot be read');
  const type = blobType(certBlob);
  if (type !== 'ssh-ed25519-cert-v01@openssh.com' || key.type !== 'ssh-ed25519') throw new Error('certificate login needs an ed25519 key and its ed25519 certificate');
  CERTS.set(key, { blob: certBlob, type });
  return key;
}
