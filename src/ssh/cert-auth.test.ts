import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { certificateAuthInstalled, certificateKey, publickeyRequest } from './cert-auth.js';
import { sshString } from './ssh-cert.js';
import { readableKeyPair } from '../../test/helpers/ssh-keys.js';

test('cert-auth: installed on this ssh2; the request names the certificate type and blob', () => {
  assert.equal(certificateAuthInstalled, true, "ssh2's authPK or sendPacket moved: certificate login would be unavailable");
  const blob = Buffer.from('certificate blob');
  const req = publickeyRequest('ec2-user', 'ssh-ed25519-cert-v01@openssh.com', blob, true);
  assert.deepEqual(req, Buffer.concat([Buffer.from([50]), sshString('ec2-user'), sshString('ssh-connection'), sshString('publickey'), Buffer.from([1]), sshString('ssh-ed25519-cert-v01@openssh.com'), sshString(blob)]));
  assert.equal(publickeyRequest('u', 'a', blob, false)[1 + 4 + 1 + 4 + 14 + 4 + 9], 0, 'the query has no signature flag');
});

test('cert-auth: only an ed25519 key with an ed25519 certificate', () => {
  const ecdsa = readableKeyPair('ecdsa', { bits: 256 }).private;
  const cert = Buffer.concat([sshString('ssh-ed25519-cert-v01@openssh.com'), Buffer.alloc(8)]);
  assert.throws(() => certificateKey(Buffer.from(ecdsa), cert), /needs an ed25519 key/);
  const ed = goodEd25519();
  assert.throws(() => certificateKey(Buffer.from(ed), sshString('ssh-rsa-cert-v01@openssh.com')), /needs an ed25519 key/);
  const key = certificateKey(Buffer.from(ed), cert);
  assert.equal(key.type, 'ssh-ed25519', 'a key ssh2 can still sign with');
});

/** ssh2 makes a malformed ed25519 key about once in 200 (a leading zero byte lost): such a key is made again. */
function goodEd25519(): string {
  for (;;) {
    const pair = readableKeyPair('ed25519');
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.getPublicSSH().length === 51) return pair.private;
  }
}
