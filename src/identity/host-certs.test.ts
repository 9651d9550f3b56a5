import '../ssh/hybrid-kex.js'; // first: ssh2's kex module must load with the signature-name line
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { HOST_CERT, parseCertificate, verifySignature } from '../ssh/ssh-cert.js';
import { ensureHostCaKey, loadHostCa, type HostKeyEntries } from './host-ca.js';
import { HostCertificates, type HostCertificateSigned } from './host-certs.js';
import { readableKeyPair } from '../../test/helpers/ssh-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'fumidai-hostca-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const hostKeys = [readableKeyPair('ed25519').private, readableKeyPair('ecdsa', { bits: 256 }).private].map((k) => Buffer.from(k));

function certsOf(entries: HostKeyEntries) {
  return entries.flatMap((e) => (Buffer.isBuffer(e) ? [] : [{ type: e.key.type, cert: parseCertificate(e.key.getPublicSSH()) }]));
}

test('the host CA key is made once, 0600, apart from the user CA, and its line is an @cert-authority line', () => {
  const file = join(dir, 'host_ca_ed25519_key');
  assert.equal(ensureHostCaKey(file), true);
  assert.equal(ensureHostCaKey(file), false);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(loadHostCa(file).knownHostsLine(), /^@cert-authority \* ssh-ed25519 AAAA\S+ fumidai host CA$/);
  assert.match(loadHostCa(file).knownHostsLine('bastion,*.example.com'), /^@cert-authority bastion,\*\.example\.com ssh-ed25519 /);
  assert.throws(() => loadHostCa(join(dir, 'none')), /no host CA key at .*certs\.hostCaKey/);
});

test('a target gets the plain keys, then a host certificate per key naming it, signed by the CA; cached until half its validity', () => {
  const file = join(dir, 'ca2');
  ensureHostCaKey(file);
  const ca = loadHostCa(file);
  let now = Date.parse('2026-12-01T00:00:00Z');
  const signed: HostCertificateSigned[] = [];
  const certs = new HostCertificates({ ca, hostKeys, bastionNames: [], validitySec: () => 86400, now: () => now, onSigned: (s) => signed.push(s) });
  const first = certs.forTarget('web1');
  assert.deepEqual(first.slice(0, 2), hostKeys, 'the plain keys first, as they were');
  const issued = certsOf(first);
  assert.deepEqual(issued.map((c) => c.type), ['ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com']);
  for (const { cert } of issued) {
    assert.equal(cert.certType, HOST_CERT);
    assert.deepEqual(cert.principals, ['web1']);
    assert.equal(cert.keyId, 'fumidai-host:web1');
    assert.equal(cert.validAfter, BigInt(now / 1000 - 300));
    assert.equal(cert.validBefore, BigInt(now / 1000 + 86400));
    assert.deepEqual(cert.extensions, []);
    assert.ok(verifySignature(cert.signatureKey, cert.signed, cert.signature), 'signed by the CA');
    assert.equal(ca.knownHostsLine().split(' ')[3], cert.signatureKey.toString('base64'));
  }
  assert.notEqual(issued[0]!.cert.serial, issued[1]!.cert.serial);
  assert.equal(signed.length, 2);
  assert.deepEqual(signed.map((s) => s.principals), [['web1'], ['web1']]);
  now += 12 * 3600_000 - 1000;
  assert.equal(certs.forTarget('web1'), first, 'reused before half its validity');
  assert.equal(signed.length, 2);
  assert.deepEqual(certsOf(certs.forTarget('db1'))[0]!.cert.principals, ['db1']);
  now += 2000;
  const renewed = certs.forTarget('web1');
  assert.notEqual(renewed, first);
  assert.equal(certsOf(renewed)[0]!.cert.validBefore, BigInt(now / 1000 + 86400));
});

test("the bastion's listener: its configured names, or the plain keys alone when none are configured", () => {
  const ca = loadHostCa(join(dir, 'host_ca_ed25519_key'));
  const none = new HostCertificates({ ca, hostKeys, bastionNames: [], validitySec: () => 3600 });
  assert.deepEqual(none.forBastion(), hostKeys);
  const named = new HostCertificates({ ca, hostKeys, bastionNames: ['bastion.example.com', '10.0.0.2'], validitySec: () => 3600 });
  assert.deepEqual(certsOf(named.forBastion())[0]!.cert.principals, ['bastion.example.com', '10.0.0.2']);
  assert.equal(named.forBastion(), named.forBastion());
});

test('a certificate that cannot be signed leaves the plain keys on offer, and is tried again next time', () => {
  let fail = true;
  const errors: string[] = [];
  const real = loadHostCa(join(dir, 'host_ca_ed25519_key'));
  const ca = { certify: (...args: Parameters<typeof real.certify>) => { if (fail) throw new Error('no signature'); return real.certify(...args); } };
  const certs = new HostCertificates({ ca, hostKeys, bastionNames: [], validitySec: () => 3600, onError: (e) => errors.push(e.message) });
  assert.deepEqual(certs.forTarget('web1'), hostKeys);
  assert.deepEqual(errors, ['no signature']);
  fail = false;
  assert.equal(certsOf(certs.forTarget('web1')).length, 2);
});
