import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configSchema } from './schema.js';

const oidc = { oidc: { issuer: 'https://idp.example.com', clientId: 'fumidai' } };
const sso = { sso: { roles: { auditor: ['ops'] } } };

test('web.sso needs web.url and auth.oidc; web.url is https://HOST[:PORT] only', () => {
  assert.equal(configSchema.safeParse({ auth: oidc, web: { url: 'https://bastion.example.com:8443/', ...sso } }).success, true);
  assert.equal(configSchema.parse({ auth: oidc, web: { url: 'https://bastion.example.com:8443/', ...sso } }).web.url, 'https://bastion.example.com:8443');
  assert.equal(configSchema.safeParse({ auth: oidc, web: sso }).success, false, 'no web.url');
  assert.equal(configSchema.safeParse({ web: { url: 'https://b.example.com', ...sso } }).success, false, 'no auth.oidc');
  assert.equal(configSchema.safeParse({ web: { url: 'http://b.example.com' } }).success, false, 'not https');
  assert.equal(configSchema.safeParse({ web: { url: 'https://b.example.com/console' } }).success, false, 'a path');
  assert.equal(configSchema.safeParse({ auth: oidc, web: { url: 'https://b.example.com', sso: { roles: {} } } }).success, false, 'no group at all');
});

test('requests.webhook: https or loopback http, and web.url for its links', () => {
  const hook = (url: string) => ({ webhook: { url, secretFile: 'hook.secret' } });
  assert.equal(configSchema.safeParse({ web: { url: 'https://b.example.com' }, requests: hook('https://chat.example.com/h/x') }).success, true);
  assert.equal(configSchema.safeParse({ web: { url: 'https://b.example.com' }, requests: hook('http://127.0.0.1:9000/h') }).success, true);
  assert.equal(configSchema.safeParse({ web: { url: 'https://b.example.com' }, requests: hook('http://chat.example.com/h') }).success, false);
  assert.equal(configSchema.safeParse({ requests: hook('https://chat.example.com/h') }).success, false, 'no web.url');
});
