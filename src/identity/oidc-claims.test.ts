import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimGroups, identityOf, policyGroups } from './oidc-claims.js';

const rules = { userClaim: 'preferred_username', groupsClaim: 'groups', groupMap: { ops: ['operators'], admins: ['operators', 'dba'] } };

test('groups claim: a list, one string, or nothing', () => {
  assert.deepEqual(claimGroups({ groups: ['a', 1, 'b'] }, 'groups'), ['a', 'b']);
  assert.deepEqual(claimGroups({ groups: 'a' }, 'groups'), ['a']);
  assert.deepEqual(claimGroups({}, 'groups'), []);
});

test('IdP groups map to policy groups, each once; unmapped ones give nothing', () => {
  assert.deepEqual(policyGroups(['ops', 'admins', 'x'], rules.groupMap), ['operators', 'dba']);
  assert.deepEqual(policyGroups(['x'], rules.groupMap), []);
});

test('the user claim must name the user whose key logged in', () => {
  const ok = identityOf({ sub: 's1', preferred_username: 'alice', groups: ['ops'] }, 'https://idp', 'alice', rules);
  assert.deepEqual(ok, { ok: true, identity: { issuer: 'https://idp', sub: 's1', groups: ['ops'], policyGroups: ['operators'] } });
  assert.deepEqual(identityOf({ sub: 's1', preferred_username: 'bob' }, 'i', 'alice', rules), { ok: false, why: "approved by 'bob' at the IdP, not by 'alice'" });
  assert.equal(identityOf({ sub: 's1' }, 'i', 'alice', rules).ok, false);
  assert.equal(identityOf({ preferred_username: 'alice' }, 'i', 'alice', rules).ok, false);
});
