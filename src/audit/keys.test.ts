import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FumidaiError } from '../errors.js';
import { createAuditKey, keyFingerprint, loadAuditKey, loadAuditPublicKey, readPublicKey, sameFingerprint } from './keys.js';

const dir = mkdtempSync(join(tmpdir(), 'fumidai-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// RFC 8032, section 7.1, test 1: the secret key, its public key (openssl pkey -pubout) and as an ssh-ed25519 line. The fingerprint is
// what OpenSSH prints for that line: ssh-keygen -lf rfc8032.pub
const RFC8032_PRIVATE = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n';
const RFC8032_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n';
const RFC8032_SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea rfc8032\n';
const RFC8032_FINGERPRINT = 'SHA256:bbXpuKG6zhzdmnxq256TlqzFBzRl2f6OOg722cYNbU8';

test('the fingerprint is the one ssh-keygen -l prints for the same key', () => {
  const file = join(dir, 'rfc8032');
  writeFileSync(file, RFC8032_PRIVATE);
  assert.equal(keyFingerprint(loadAuditKey(file).publicKey), RFC8032_FINGERPRINT);
  assert.equal(keyFingerprint(createPrivateKey(RFC8032_PRIVATE)), RFC8032_FINGERPRINT, 'a private key has the fingerprint of its public half');
});

test('a public key file: PEM (with text before it, as `audit key` prints) or an OpenSSH ssh-ed25519 line', () => {
  const pem = join(dir, 'rfc8032.pem');
  writeFileSync(pem, `${RFC8032_FINGERPRINT}\n${RFC8032_PUBLIC}`);
  assert.equal(keyFingerprint(readPublicKey(pem)), RFC8032_FINGERPRINT);
  const ssh = join(dir, 'rfc8032_ssh.pub');
  writeFileSync(ssh, RFC8032_SSH);
  assert.equal(keyFingerprint(readPublicKey(ssh)), RFC8032_FINGERPRINT);
  writeFileSync(ssh, 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC0 x\n');
  assert.throws(() => readPublicKey(ssh));
});

test('createAuditKey writes the key (0600) and its .pub, and refuses to overwrite', () => {
  const file = join(dir, 'sub', 'audit_ed25519_key');
  const made = createAuditKey(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(keyFingerprint(readPublicKey(`${file}.pub`)), keyFingerprint(made.publicKey));
  const before = readFileSync(file);
  assert.throws(() => createAuditKey(file), { code: 'EEXIST' });
  assert.deepEqual(readFileSync(file), before, 'the key is untouched');
  assert.equal(keyFingerprint(loadAuditKey(file).publicKey), keyFingerprint(made.publicKey));
});

test('loadAuditKey of a missing or unusable file is AUDIT_KEY_MISSING and creates nothing', () => {
  const file = join(dir, 'none', 'audit_ed25519_key');
  assert.throws(
    () => loadAuditKey(file),
    (err: unknown) => err instanceof FumidaiError && err.code === 'AUDIT_KEY_MISSING' && err.message.startsWith(`audit signing key ${file} is missing; fumidai never makes a new one`),
  );
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(join(dir, 'none')), false);
  const garbage = join(dir, 'garbage');
  writeFileSync(garbage, 'not a key');
  assert.throws(() => loadAuditKey(garbage), { code: 'AUDIT_KEY_MISSING', message: /garbage cannot be read/ });
  assert.equal(readFileSync(garbage, 'utf8'), 'not a key');
  assert.throws(() => loadAuditPublicKey(file), { code: 'AUDIT_KEY_MISSING' });
});

test('the public key comes from the .pub when the private key cannot be read', () => {
  const file = join(dir, 'pubonly');
  const made = createAuditKey(file);
  rmSync(file);
  assert.equal(keyFingerprint(loadAuditPublicKey(file)), keyFingerprint(made.publicKey));
});

test('fingerprints compare equal only when identical', () => {
  assert.ok(sameFingerprint(RFC8032_FINGERPRINT, `${RFC8032_FINGERPRINT}\n`));
  assert.ok(!sameFingerprint(RFC8032_FINGERPRINT, RFC8032_FINGERPRINT.replace('b', 'c')));
  assert.ok(!sameFingerprint(RFC8032_FINGERPRINT, RFC8032_FINGERPRINT.slice(0, -1)));
});
