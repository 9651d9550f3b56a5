// mlkem768x25519-sha256, the post-quantum hybrid SSH key exchange that OpenSSH 9.9 and later offer (first, from 10.0):
// ML-KEM-768 (FIPS 203, from @noble/post-quantum) beside X25519 (node:crypto), so the session keys stay secret as long
// as either of the two holds. The client sends C_INIT = ML-KEM encapsulation key (1184 bytes) || X25519 public (32);
// the server encapsulates to it and replies S_REPLY = ML-KEM ciphertext (1088) || X25519 public (32). Both derive
// K = SHA-256(ML-KEM shared secret || X25519 shared secret), which goes into the exchange hash and the key derivation
// as an SSH string (not an mpint, unlike classic Diffie-Hellman). Message numbers are those of ECDH (30 and 31).
// Pure computations here; the adapter that plugs them into ssh2 is in hybrid-kex.ts.
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

export const MLKEM768X25519 = 'mlkem768x25519-sha256';

const EK_BYTES = 1184;
const CT_BYTES = 1088;
const X25519_BYTES = 32;
export const C_INIT_BYTES = EK_BYTES + X25519_BYTES;
export const S_REPLY_BYTES = CT_BYTES + X25519_BYTES;

/** What a client keeps between its C_INIT and the server's S_REPLY. */
export interface ClientState {
  init: Buffer;
  kemSecretKey: Uint8Array;
  x25519: KeyObject;
}

/** One hybrid key exchange: the client's and the server's halves. K is returned raw; ssh2 encodes it as a string. */
export interface HybridKem {
  name: string;
  /** Node's name of the exchange hash, which also hashes the two shared secrets together. */
  hash: string;
  clientInit(): ClientState;
  serverReply(cInit: Buffer): { reply: Buffer; secret: Buffer };
  clientSecret(state: ClientState, sReply: Buffer): Buffer;
}

/** Fixed randomness, for known-answer tests only: ML-KEM's 64-byte key seed or 32-byte message, an X25519 scalar. */
export interface Fixed {
  kem?: Uint8Array;
  x25519?: Buffer;
}

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function x25519Pair(scalar?: Buffer): { key: KeyObject; pub: Buffer } {
  const key = scalar
    ? createPrivateKey({ key: Buffer.concat([PKCS8_X25519, scalar]), format: 'der', type: 'pkcs8' })
    : generateKeyPairSync('x25519').privateKey;
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return { key, pub: Buffer.from(jwk.x!, 'base64url') };
}

/** X25519 with the peer's raw public value; OpenSSL refuses low-order points (an all-zero result) by throwing. */
function x25519(key: KeyObject, peer: Buffer): Buffer {
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peer.toString('base64url') }, format: 'jwk' });
  return diffieHellman({ privateKey: key, publicKey });
}

function combine(hash: string, kemSecret: Uint8Array, ecdhSecret: Buffer): Buffer {
  const k = createHash(hash).update(kemSecret).update(ecdhSecret).digest();
  kemSecret.fill(0);
  ecdhSecret.fill(0);
  return k;
}

export function mlkemClientInit(fixed: Fixed = {}): ClientState {
  const { publicKey, secretKey } = ml_kem768.keygen(fixed.kem);
  const x = x25519Pair(fixed.x25519);
  return { init: Buffer.concat([publicKey, x.pub]), kemSecretKey: secretKey, x25519: x.key };
}

/** The server's half: encapsulates to the client's key (noble checks it as FIPS 203 requires) and answers. */
export function mlkemServerReply(cInit: Buffer, fixed: Fixed = {}): { reply: Buffer; secret: Buffer } {
  if (cInit.length !== C_INIT_BYTES) throw new Error(`client's hybrid key share is ${cInit.length} bytes, not ${C_INIT_BYTES}`);
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(cInit.subarray(0, EK_BYTES), fixed.kem);
  const x = x25519Pair(fixed.x25519);
  const ecdh = x25519(x.key, cInit.subarray(EK_BYTES));
  return { reply: Buffer.concat([cipherText, x.pub]), secret: combine('sha256', sharedSecret, ecdh) };
}

export function mlkemClientSecret(state: ClientState, sReply: Buffer): Buffer {
  if (sReply.length !== S_REPLY_BYTES) throw new Error(`server's hybrid reply is ${sReply.length} bytes, not ${S_REPLY_BYTES}`);
  const kem = ml_kem768.decapsulate(sReply.subarray(0, CT_BYTES), state.kemSecretKey);
  state.kemSecretKey.fill(0); // one exchange per key pair
  return combine('sha256', kem, x25519(state.x25519, sReply.subarray(CT_BYTES)));
}

export const mlkem768x25519: HybridKem = {
  name: MLKEM768X25519,
  hash: 'sha256',
  clientInit: () => mlkemClientInit(),
  serverReply: (cInit) => mlkemServerReply(cInit),
  clientSecret: mlkemClientSecret,
};
