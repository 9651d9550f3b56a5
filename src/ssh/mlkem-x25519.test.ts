import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto, { createHash, type KeyObject } from 'node:crypto';
import { C_INIT_BYTES, mlkem768x25519, mlkemClientInit, mlkemClientSecret, mlkemServerReply, S_REPLY_BYTES } from './mlkem-x25519.js';

const seq = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// RFC 7748 section 6.1: Alice's and Bob's X25519 private keys, their public keys and their shared secret.
const ALICE = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
const ALICE_PUB = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB = Buffer.from('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 'hex');
const BOB_PUB = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const RFC7748_SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

/** OpenSSL's ML-KEM (node:crypto on Node 24, OpenSSL 3.5): an implementation independent of @noble/post-quantum. */
const ossl = crypto as unknown as {
  encapsulate?(key: KeyObject): { sharedKey: Buffer; ciphertext: Buffer };
  decapsulate(key: KeyObject, ciphertext: Uint8Array): Buffer;
};
const opensslMlkem = typeof ossl.encapsulate === 'function' && (() => {
  try {
    crypto.generateKeyPairSync('ml-kem-768' as never);
    return true;
  } catch {
    return false;
  }
})();
const NO_OPENSSL = opensslMlkem ? false : 'this Node has no OpenSSL ML-KEM (Node 24 with OpenSSL 3.5 has)';
const osslKeyFromSeed = (seed: Uint8Array) =>
  crypto.createPrivateKey({ key: Buffer.from(seed), format: 'raw-seed', asymmetricKeyType: 'ml-kem-768' } as never);
const osslPub = (key: KeyObject) => Buffer.from((crypto.createPublicKey(key).export({ format: 'jwk' }) as { pub: string }).pub, 'base64url');

test('mlkem768x25519: both sides derive the same 32-byte K from shares of 1216 and 1120 bytes', () => {
  const client = mlkem768x25519.clientInit();
  assert.equal(client.init.length, C_INIT_BYTES);
  assert.equal(C_INIT_BYTES, 1216);
  const { reply, secret } = mlkem768x25519.serverReply(client.init);
  assert.equal(reply.length, S_REPLY_BYTES);
  assert.equal(S_REPLY_BYTES, 1120);
  assert.equal(secret.length, 32);
  assert.deepEqual(mlkem768x25519.clientSecret(client, reply), secret);
  assert.ok(client.kemSecretKey.every((b) => b === 0), 'the client ML-KEM secret key is wiped after use');
  assert.notDeepEqual(mlkem768x25519.serverReply(mlkem768x25519.clientInit().init).secret, secret);
});

test('mlkem768x25519: known answer with fixed randomness; X25519 halves are RFC 7748\'s, K is recomputed by hand', () => {
  const client = mlkemClientInit({ kem: seq(0, 64), x25519: ALICE });
  const { reply, secret } = mlkemServerReply(client.init, { kem: seq(0x40, 32), x25519: BOB });
  // Layout: ML-KEM first, X25519 last, in both shares.
  assert.equal(client.init.subarray(1184).toString('hex'), ALICE_PUB);
  assert.equal(reply.subarray(1088).toString('hex'), BOB_PUB);
  assert.equal(sha256(client.init), '86861a628e1a44bde5a2a295155e2a83fe7159d6080d59796e7a6dc50674d2a7');
  assert.equal(sha256(reply), '7ee5bcb561df359c31b29a72b8b0db1b5e39145a508fa59b3e03b80eb17e75a4');
  assert.equal(secret.toString('hex'), '30686bccae981034fa642c020fd811f61f96a2bf87d8a5656523115a5129da2c');
  assert.deepEqual(mlkemClientSecret(client, reply), secret);
});

test('mlkem768x25519: the known answer agrees with OpenSSL\'s ML-KEM (key from the same seed, decapsulation) and K = SHA-256(kem || x25519)', { skip: NO_OPENSSL }, () => {
  const seed = seq(0, 64);
  const client = mlkemClientInit({ kem: seed, x25519: ALICE });
  const osslKey = osslKeyFromSeed(seed);
  assert.deepEqual(osslPub(osslKey), client.init.subarray(0, 1184), 'same encapsulation key from the same seed');
  const { reply, secret } = mlkemServerReply(client.init, { kem: seq(0x40, 32), x25519: BOB });
  const kem = ossl.decapsulate(osslKey, reply.subarray(0, 1088));
  const byHand = createHash('sha256').update(kem).update(Buffer.from(RFC7748_SHARED, 'hex')).digest();
  assert.deepEqual(secret, byHand);
});

test('mlkem768x25519: interoperates with OpenSSL\'s ML-KEM in both roles (random keys)', { skip: NO_OPENSSL }, () => {
  for (let i = 0; i < 5; i++) {
    // OpenSSL's key as the client's: our server encapsulates, OpenSSL decapsulates.
    const { privateKey } = crypto.generateKeyPairSync('ml-kem-768' as never) as unknown as { privateKey: KeyObject };
    const x = crypto.generateKeyPairSync('x25519');
    const xPub = Buffer.from(x.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const { reply, secret } = mlkemServerReply(Buffer.concat([osslPub(privateKey), xPub]));
    const serverX = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: reply.subarray(1088).toString('base64url') }, format: 'jwk' });
    const ecdh = crypto.diffieHellman({ privateKey: x.privateKey, publicKey: serverX });
    const kem = ossl.decapsulate(privateKey, reply.subarray(0, 1088));
    assert.deepEqual(secret, createHash('sha256').update(kem).update(ecdh).digest());
    // Our client key: OpenSSL encapsulates to it, our client decapsulates.
    const client = mlkemClientInit();
    const ek = crypto.createPublicKey({ key: { kty: 'AKP', alg: 'ML-KEM-768', pub: client.init.subarray(0, 1184).toString('base64url') }, format: 'jwk' } as never);
    const { sharedKey, ciphertext } = ossl.encapsulate!(ek);
    const y = crypto.generateKeyPairSync('x25519');
    const yPub = Buffer.from(y.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    const clientX = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: client.init.subarray(1184).toString('base64url') }, format: 'jwk' });
    const expected = createHash('sha256').update(sharedKey).update(crypto.diffieHellman({ privateKey: y.privateKey, publicKey: clientX })).digest();
    assert.deepEqual(mlkemClientSecret(client, Buffer.concat([ciphertext, yPub])), expected);
  }
});

test('mlkem768x25519: malformed shares are refused (lengths, an out-of-range ML-KEM key, a low-order X25519 point)', () => {
  const client = mlkemClientInit();
  assert.throws(() => mlkemServerReply(client.init.subarray(0, 1215)), /1215 bytes, not 1216/);
  assert.throws(() => mlkemServerReply(Buffer.concat([client.init, Buffer.alloc(1)])), /1217 bytes/);
  const badKey = Buffer.from(client.init);
  badKey[0] = 0xff; // the first 12-bit coefficient becomes >= q = 3329: FIPS 203's modulus check fails
  badKey[1] |= 0x0f;
  assert.throws(() => mlkemServerReply(badKey), /modulus/);
  const zeroPoint = Buffer.from(client.init);
  zeroPoint.fill(0, 1184);
  assert.throws(() => mlkemServerReply(zeroPoint));
  const { reply } = mlkemServerReply(client.init);
  assert.throws(() => mlkemClientSecret(client, reply.subarray(0, 1119)), /1119 bytes, not 1120/);
  const lowOrder = Buffer.from(reply);
  lowOrder.fill(0, 1088);
  lowOrder[1088] = 1; // the point of order 1 (u = 1): the X25519 result would be all zero
  assert.throws(() => mlkemClientSecret(mlkemClientInit(), lowOrder));
});
