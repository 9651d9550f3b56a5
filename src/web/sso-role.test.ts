import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ssoRole } from './sso-role.js';

test('ssoRole: admin wins, then auditor, else no entry', () => {
  const roles = { admin: ['sec-admins'], auditor: ['sec-audit', 'ops'] };
  assert.equal(ssoRole(['ops', 'sec-admins'], roles), 'admin');
  assert.equal(ssoRole(['ops'], roles), 'auditor');
  assert.equal(ssoRole(['dev'], roles), undefined);
  assert.equal(ssoRole([], { admin: [], auditor: [] }), undefined);
});
