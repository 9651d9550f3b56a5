import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as OTPAuth from 'otpauth';
import { matchStep, newSecretBase32, otpauthUri } from './totp.js';
import { SeedBox } from './seed-box.js';

const codeAt = (secret: string, ms: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: ms });

test('matchStep accepts the current code and ±1 step, nothing further', () => {
  const secret = newSecretBase32();
  const now = 1_800_000_015_000;
  const step = Math.floor(now / 30_000);
  assert.equal(matchStep(secret, codeAt(secret, now), now), step);
  assert.equal(matchStep(secret, codeAt(secret, now - 30_000), now), step - 1);
  assert.equal(matchStep(secret, codeAt(secret, now + 30_000), now), step + 1);
  assert.equal(matchStep(secret, codeAt(secret, now - 90_000), now), undefined);
  assert.equal(matchStep(secret, 'abcdef', now), undefined);
  assert.equal(matchStep(secret, '12345', now), undefined);
});

test('otpauth URI carries Google Authenticator defaults', () => {
  const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'alice');
  assert.match(uri, /^otpauth:\/\/totp\/fumidai:alice\?/);
  assert.match(uri, /secret=JBSWY3DPEHPK3PXP/);
  assert.match(uri, /algorithm=SHA1&digits=6&period=30/);
});

test('SeedBox round-trips and is bound to the user', () => {
  const box = new SeedBox(randomBytes(32));
  const sealed = box.seal('JBSWY3DPEHPK3PXP', 'alice');
  assert.equal(sealed.includes(Buffer.from('JBSWY3DPEHPK3PXP')), false);
  assert.equal(box.open(sealed, 'alice'), 'JBSWY3DPEHPK3PXP');
  assert.throws(() => box.open(sealed, 'mallory'));
});
