import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenHash, tokenProblem } from './authn.js';
import { relyingParty } from './webauthn.js';

test('tokenProblem: unknown, revoked, expired, good', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const t = { name: 'ci', role: 'auditor' as const, hash: 'h', createdAt: '2026-11-01T00:00:00Z' };
  assert.equal(tokenProblem(undefined, now), 'unknown token');
  assert.equal(tokenProblem(t, now), undefined);
  assert.equal(tokenProblem({ ...t, expiresAt: '2026-12-01T00:00:01.000Z' }, now), undefined);
  assert.equal(tokenProblem({ ...t, expiresAt: '2026-12-01T00:00:00.000Z' }, now), "token 'ci' expired at 2026-12-01T00:00:00.000Z");
  assert.equal(tokenProblem({ ...t, revokedAt: '2026-11-02T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' }, now), "token 'ci' is revoked");
});

test('relyingParty: the host name of the request, or web.rpId and its subdomains; never an IP address', () => {
  assert.deepEqual(relyingParty('localhost:8443'), { rpId: 'localhost', origin: 'https://localhost:8443' });
  assert.deepEqual(relyingParty('bastion.example.com'), { rpId: 'bastion.example.com', origin: 'https://bastion.example.com' });
  assert.deepEqual(relyingParty('console.bastion.example.com:8443', 'bastion.example.com'), { rpId: 'bastion.example.com', origin: 'https://console.bastion.example.com:8443' });
  assert.equal(relyingParty('evil.example.org', 'bastion.example.com'), undefined);
  assert.equal(relyingParty('notbastion.example.com', 'bastion.example.com'), undefined);
  assert.equal(relyingParty('127.0.0.1:8443'), undefined);
  assert.equal(relyingParty('[::1]:8443'), undefined);
  assert.equal(relyingParty(undefined), undefined);
  assert.equal(relyingParty('a.example/x'), undefined);
  assert.equal(relyingParty('user@a.example'), undefined);
});
