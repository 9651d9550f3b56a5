import { test } from 'node:test';
import assert from 'node:assert/strict';
import ssh2, { type AuthContext } from 'ssh2';
import { checkCertificate, trustedCas } from './cert-check.js';
import { parseCertArgs } from './cert-issue.js';
import { UserCa } from '../identity/user-ca.js';
import { certificateWaivesMfa } from '../policy/engine.js';
import { EMPTY_POLICY } from '../policy/types.js';

function newKey(): ssh2.ParsedKey {
  for (;;) {
    const k = ssh2.utils.parseKey(ssh2.utils.generateKeyPairSync('ed25519').private);
    if (!(k instanceof Error) && k.getPublicSSH().length === 51) return k;
  }
}

const ca = new UserCa(newKey());
const subject = newKey();
const at = new Date('2026-12-05T12:00:00Z');
const users: Record<string, { name: string; createdAt: string; disabled: boolean }> = {
  alice: { name: 'alice', createdAt: '', disabled: false },
  bob: { name: 'bob', createdAt: '', disabled: true },
};
const store = { getUser: async (n: string) => users[n], certRevocation: async () => undefined };

/** A signed login attempt with a certificate from `ca` (a query when `signed` is false). */
function attempt(opts: { principals?: string[]; from?: number; to?: number; username?: string; options?: { name: string; value: string }[] }, signed = true): AuthContext {
  const blob = ca.sign({
    publicKey: subject.getPublicSSH(), serial: 7n, keyId: 'k7', principals: opts.principals ?? ['alice'],
    validAfter: new Date(at.getTime() + (opts.from ?? -60) * 1000), validBefore: new Date(at.getTime() + (opts.to ?? 3600) * 1000), criticalOptions: opts.options,
  });
  const data = Buffer.from('session id and request');
  const sig = subject.sign(data) as Buffer;
  const sigBlob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, sig.length]), sig]);
  return { method: 'publickey', username: opts.username ?? 'alice', key: { algo: 'ssh-ed25519-cert-v01@openssh.com', data: blob }, ...(signed ? { signature: sigBlob, blob: data } : {}) } as unknown as AuthContext;
}
const check = (ctx: AuthContext, ip = '10.0.0.1', trust = trustedCas(ca, [])) => checkCertificate(ctx, { sourceIp: ip }, { store, trusted: trust, clockSkewSec: 60, now: at });

test('certificate check: the happy path, and each refusal with its reason', async () => {
  const ok = await check(attempt({}));
  assert.equal(ok.kind, 'success');
  assert.deepEqual(ok.kind === 'success' && { user: ok.user.name, keyId: ok.certificate.keyId, serial: ok.certificate.serial, own: ok.ownCa }, { user: 'alice', keyId: 'k7', serial: '7', own: true });
  assert.equal((await check(attempt({}, false))).kind, 'query-ok');
  const reason = async (ctx: AuthContext, ip?: string, trust?: ReturnType<typeof trustedCas>) => {
    const o = await check(ctx, ip, trust);
    return o.kind === 'failure' ? o.reason : o.kind;
  };
  assert.match(await reason(attempt({}), '10.0.0.1', trustedCas(undefined, [])), /^certificate untrusted CA/);
  assert.match(await reason(attempt({ from: 120 })), /^certificate not yet valid/);
  assert.equal(await reason(attempt({ from: 30 })), 'success', 'within the clock skew');
  assert.match(await reason(attempt({ to: -61 })), /^certificate expired/);
  assert.equal(await reason(attempt({ to: -30 })), 'success', 'within the clock skew');
  assert.match(await reason(attempt({ principals: [] })), /^certificate principal: it names none/);
  assert.match(await reason(attempt({ principals: ['alice', 'carol'], username: 'web1' })), /^certificate principal: none of alice, carol/);
  assert.equal(await reason(attempt({ principals: ['carol', 'alice'], username: 'alice' })), 'success');
  assert.match(await reason(attempt({ principals: ['carol'] })), /^certificate principal 'carol' is not a fumidai user/);
  assert.match(await reason(attempt({ principals: ['bob'] })), /is disabled/);
  assert.match(await reason(attempt({ options: [{ name: 'verify-required', value: '' }] })), /^certificate critical option 'verify-required' is not supported/);
  assert.equal(await reason(attempt({ options: [{ name: 'source-address', value: '10.0.0.0/8,::1' }] })), 'success');
  assert.match(await reason(attempt({ options: [{ name: 'source-address', value: '10.0.0.0/8' }] }), '192.0.2.7'), /^certificate source-address/);
  assert.match(await reason(attempt({ options: [{ name: 'source-address', value: 'nonsense/99' }] })), /^certificate source-address/);
  const tampered = attempt({});
  (tampered as unknown as { blob: Buffer }).blob = Buffer.from('another request');
  assert.equal(await reason(tampered), 'bad signature');
});

test('cert --for and the TOTP waiver (deny by default)', () => {
  assert.deepEqual(parseCertArgs([]), { ok: true });
  assert.deepEqual(parseCertArgs(['--for', '2h']), { ok: true, forSec: 7200 });
  assert.deepEqual(parseCertArgs(['--for', '90']), { ok: true, forSec: 90 });
  assert.equal(parseCertArgs(['--for', '2 weeks']).ok, false);
  assert.equal(parseCertArgs(['--for', '0s']).ok, false);
  assert.equal(parseCertArgs(['--forever']).ok, false);
  assert.equal(certificateWaivesMfa(EMPTY_POLICY, true), false);
  assert.equal(certificateWaivesMfa({ ...EMPTY_POLICY, mfa: { waiveWithCertificate: true } }, true), true);
  assert.equal(certificateWaivesMfa({ ...EMPTY_POLICY, mfa: { waiveWithCertificate: true } }, false), false);
  assert.equal(certificateWaivesMfa({ ...EMPTY_POLICY, mfa: { waiveWithCertificate: 'any-trusted-ca' } }, false), true);
});
