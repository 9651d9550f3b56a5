// Fuzz properties of the OpenSSH certificate reader (src/ssh/ssh-cert.ts): whatever bytes a client sends as its
// "certificate", the reader answers with a certificate or CertFormatError, never another exception; a certificate
// fumidai signed reads back the same, is also read the same by sshpk (an implementation we did not write), and any
// byte changed in it is either refused or fails the CA's signature.
import fc from 'fast-check';
import sshpk from 'sshpk';
import ssh2 from 'ssh2';
import { CertFormatError, optionString, parseCertificate, verifySignature } from '../../src/ssh/ssh-cert.js';
import { UserCa } from '../../src/identity/user-ca.js';
import type { FuzzProperty } from './properties.js';
import { readableKeyPair } from '../helpers/ssh-keys.js';

/** An ed25519 key ssh2 made well (about one in 256 loses a leading zero byte: readableKeyPair draws again). */
const goodKey = (): ssh2.ParsedKey => ssh2.utils.parseKey(readableKeyPair('ed25519').private) as ssh2.ParsedKey;

export function certFuzzProperties(): FuzzProperty[] {
  const ca = new UserCa(goodKey());
  const subject = goodKey().getPublicSSH();
  const name = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
  const fields = fc.record({
    serial: fc.bigInt({ min: 0n, max: 2n ** 63n }),
    keyId: fc.string({ maxLength: 40 }).filter((s) => !/[\0-\x1f\x7f]/.test(s)),
    principals: fc.array(name, { maxLength: 3 }),
    from: fc.integer({ min: 0, max: 2 ** 31 }),
    span: fc.integer({ min: 1, max: 2 ** 30 }),
    force: fc.option(fc.string({ maxLength: 30 }).filter((s) => !/[\0-\x1f\x7f]/.test(s))),
  });
  const sign = (f: { serial: bigint; keyId: string; principals: string[]; from: number; span: number; force: string | null }) =>
    ca.sign({
      publicKey: subject, serial: f.serial, keyId: f.keyId, principals: f.principals, validAfter: new Date(f.from * 1000), validBefore: new Date((f.from + f.span) * 1000),
      criticalOptions: f.force === null ? [] : [{ name: 'force-command', value: f.force }],
    });
  return [
    {
      name: 'certificate reader: any bytes are a certificate or CertFormatError, never another exception',
      property: fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
          // A real type name first, so the reader goes past the first field.
          fc.tuple(fc.constantFrom('ssh-ed25519-cert-v01@openssh.com', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com'), fc.uint8Array({ maxLength: 600 })).map(([t, b]) => {
            const len = Buffer.alloc(4);
            len.writeUInt32BE(t.length);
            return Buffer.concat([len, Buffer.from(t), b]);
          }),
        ),
        (blob) => {
          try {
            const c = parseCertificate(blob);
            for (const o of c.criticalOptions) {
              try {
                optionString(o.data);
              } catch (err) {
                if (!(err instanceof CertFormatError)) throw err;
              }
            }
            verifySignature(c.signatureKey, c.signed, c.signature); // false or true, never a throw
          } catch (err) {
            if (!(err instanceof CertFormatError)) throw err;
          }
        },
      ),
    },
    {
      name: 'certificates fumidai signs read back as signed (here and in sshpk); cut, they are refused; a changed byte never verifies',
      property: fc.property(fields, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, flip) => {
        const blob = sign(f);
        const c = parseCertificate(blob);
        if (c.serial !== f.serial || c.keyId !== f.keyId || c.principals.join() !== f.principals.join()) throw new Error('fields differ');
        if (c.validAfter !== BigInt(f.from) || c.validBefore !== BigInt(f.from + f.span)) throw new Error('validity differs');
        if ((f.force === null ? undefined : f.force) !== (c.criticalOptions[0] && optionString(c.criticalOptions[0].data))) throw new Error('force-command differs');
        if (!verifySignature(c.signatureKey, c.signed, c.signature)) throw new Error('own signature does not verify');
        const theirs = sshpk.parseCertificate(Buffer.from(`${c.type} ${blob.toString('base64')}`), 'openssh');
        if (!theirs.isSignedByKey(sshpk.parseKey(`ssh-ed25519 ${ca.publicBlob.toString('base64')}`, 'ssh'))) throw new Error('sshpk does not verify it');
        if (f.principals.length && theirs.subjects.map((s) => s.uid).join() !== f.principals.join()) throw new Error('sshpk reads other principals');
        // Cut anywhere, it is refused as cut (a short last field must not pass as a shorter one).
        try {
          parseCertificate(blob.subarray(0, at % blob.length));
          throw new Error('a truncated certificate was read');
        } catch (err) {
          if (!(err instanceof CertFormatError)) throw err;
        }
        const bad = Buffer.from(blob);
        bad[at % bad.length]! ^= flip;
        try {
          const b = parseCertificate(bad);
          if (verifySignature(b.signatureKey, b.signed, b.signature) && b.signatureKey.equals(ca.publicBlob)) throw new Error('a changed certificate still verifies');
        } catch (err) {
          if (!(err instanceof CertFormatError)) throw err;
        }
      }),
    },
  ];
}
