import './hybrid-kex.js'; // first: ssh2's kex module must load with the signature-name line
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ssh2 from 'ssh2';
import { certAlgorithms, hostCertKeys, hostCertsSupported, insertSignatureTypeHook } from './host-cert-key.js';
import { encodeCertificate, HOST_CERT, parseCertificate, sshString, USER_CERT, verifySignature } from './ssh-cert.js';
import { readableKeyPair } from '../../test/helpers/ssh-keys.js';

const kexSource = readFileSync(createRequire(import.meta.url).resolve('ssh2/lib/protocol/kex.js'), 'utf8');

function parsed(key: string | Buffer): ssh2.ParsedKey {
  const k = ssh2.utils.parseKey(key);
  const one = Array.isArray(k) ? k[0]! : k;
  if (one instanceof Error) throw one;
  return one;
}

const ca = parsed(readableKeyPair('ed25519').private);

/** A certificate of `key` signed by `ca`, of `certType`. */
function certOf(key: ssh2.ParsedKey, certType = HOST_CERT): Buffer {
  const type = key.type === 'ssh-rsa' ? 'ssh-rsa-cert-v01@openssh.com' : `${key.type}-cert-v01@openssh.com`;
  return encodeCertificate(
    { type, nonce: randomBytes(32), publicKey: key.getPublicSSH(), serial: 1n, certType, keyId: 'k', principals: ['web1'], validAfter: 0n, validBefore: 2n ** 64n - 1n, criticalOptions: [], extensions: [], signatureKey: ca.getPublicSSH() },
    (data) => Buffer.concat([sshString('ssh-ed25519'), sshString(ca.sign(data) as Buffer)]),
  );
}

test("the signature-name line goes into ssh2 1.17's kex module once, and nowhere else", () => {
  const hooked = insertSignatureTypeHook(kexSource)!;
  assert.ok(hooked);
  assert.equal(hooked.split('this._hostKey.hostSignatureType').length, 2);
  assert.match(hooked, /module\.exports\.HOST_CERT_SIGNATURES = true;\n$/);
  assert.equal(insertSignatureTypeHook(kexSource.replace('const sigType = this.negotiated.serverHostKey;', 'const sigType = x;')), undefined);
  const twice = kexSource.replace('        const sigType = this.negotiated.serverHostKey;\n', '        const sigType = this.negotiated.serverHostKey;\n'.repeat(2));
  assert.equal(insertSignatureTypeHook(twice), undefined);
});

test('this process loaded ssh2 with the line (imported first)', () => {
  assert.equal(hostCertsSupported(), true);
});

test('certificate algorithms: one per ed25519/ECDSA key, the two SHA-2 names for RSA, none for DSA', () => {
  assert.deepEqual(certAlgorithms('ssh-ed25519').map((a) => [a.name, a.signature]), [['ssh-ed25519-cert-v01@openssh.com', 'ssh-ed25519']]);
  assert.deepEqual(certAlgorithms('ecdsa-sha2-nistp384').map((a) => [a.name, a.signature]), [['ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp384']]);
  assert.deepEqual(certAlgorithms('ssh-rsa').map((a) => [a.name, a.signature, a.hash]), [
    ['rsa-sha2-512-cert-v01@openssh.com', 'rsa-sha2-512', 'sha512'],
    ['rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-256', 'sha256'],
  ]);
  assert.deepEqual(certAlgorithms('ssh-dss'), []);
});

const KEYS: [string, () => string][] = [
  ['ed25519', () => readableKeyPair('ed25519').private],
  ['ecdsa P-256', () => ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private],
  ['ecdsa P-521', () => ssh2.utils.generateKeyPairSync('ecdsa', { bits: 521 }).private],
  ['rsa', () => ssh2.utils.generateKeyPairSync('rsa', { bits: 2048 }).private],
];

for (const [name, make] of KEYS) {
  test(`${name}: each key object presents the certificate and signs as its plain key, in SSH's signature format`, () => {
    const key = parsed(make());
    const plainType = key.type;
    const cert = certOf(key);
    const wrapped = hostCertKeys(key, cert);
    assert.deepEqual(wrapped.map((w) => w.type), certAlgorithms(key.type).map((a) => a.name));
    const data = randomBytes(48);
    for (const [i, w] of wrapped.entries()) {
      assert.equal(w.getPublicSSH(), cert);
      assert.equal(ssh2.utils.parseKey(w as never), w, 'ssh2 takes it as a parsed key');
      assert.ok(w.isPrivateKey() && w.getPrivatePEM() === key.getPrivatePEM());
      const sig = w.sign(data) as Buffer;
      const sigName = (w as unknown as { hostSignatureType: string }).hostSignatureType;
      assert.equal(sigName, certAlgorithms(key.type)[i]!.signature);
      assert.ok(verifySignature(key.getPublicSSH(), data, Buffer.concat([sshString(sigName), sshString(sig)])), `${w.type} signature verifies as ${sigName}`);
    }
    assert.equal(key.type, plainType, 'the plain key is untouched');
    assert.equal(key.getPublicSSH().equals(parseCertificate(cert).publicKey), true);
  });
}

test('a user certificate, or a certificate of another key, is refused', () => {
  const key = parsed(readableKeyPair('ed25519').private);
  const other = parsed(readableKeyPair('ed25519').private);
  assert.throws(() => hostCertKeys(key, certOf(key, USER_CERT)), /not a host certificate/);
  assert.throws(() => hostCertKeys(key, certOf(other)), /not of this host key/);
});
