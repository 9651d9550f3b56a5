import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from './schema.js';

const auth = (a: Record<string, unknown>) => configSchema.safeParse({ auth: a });
const oidc = (issuer: string, extra: Record<string, unknown> = {}) => ({ secondFactor: 'oidc', oidc: { issuer, clientId: 'fumidai', ...extra } });

test('auth.oidc: https issuers; plain http only on loopback with allowInsecureLoopback', () => {
  assert.equal(auth(oidc('https://idp.example.com/realms/ops')).success, true);
  assert.equal(auth(oidc('http://127.0.0.1:8080', { allowInsecureLoopback: true })).success, true);
  assert.equal(auth(oidc('http://127.0.0.1:8080')).success, false, 'http needs the explicit flag');
  assert.equal(auth(oidc('http://idp.example.com', { allowInsecureLoopback: true })).success, false, 'never http off loopback');
  assert.equal(auth(oidc('http://10.0.0.1', { allowInsecureLoopback: true })).success, false);
});

test('auth.oidc: defaults, no secret in the file, and secondFactor oidc needs the section', () => {
  const r = auth(oidc('https://idp.example.com'));
  assert.ok(r.success);
  assert.deepEqual(
    { ...r.data.auth.oidc, issuer: undefined },
    { issuer: undefined, clientId: 'fumidai', clientSecretEnv: 'FUMIDAI_OIDC_CLIENT_SECRET', scopes: ['openid', 'profile', 'groups'], userClaim: 'preferred_username', groupsClaim: 'groups', groupMap: {}, recheckInterval: 300, outageGrace: 3600, allowInsecureLoopback: false },
  );
  assert.equal(auth({ secondFactor: 'oidc', oidc: { issuer: 'https://idp', clientId: 'x', clientSecret: 'inline' } }).success, false, 'a secret in the config file is refused');
  assert.equal(auth({ secondFactor: 'oidc' }).success, false);
  assert.equal(configSchema.parse({}).auth.secondFactor, 'totp');
});
