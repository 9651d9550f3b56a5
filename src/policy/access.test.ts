import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAccess, reachable } from './access.js';

const grants = [
  { target: 'web1', login: 'ec2-user' },
  { target: 'db1', login: '*' },
];
const base = { user: 'alice', userDisabled: false, grants };

test('decideAccess: table', () => {
  const cases: [string, string, boolean, RegExp][] = [
    ['web1', 'ec2-user', true, /granted/],
    ['web1', 'root', false, /may not log in as 'root'/],
    ['db1', 'postgres', true, /granted/],
    ['web2', 'ec2-user', false, /no access to 'web2'/],
  ];
  for (const [target, login, allow, reason] of cases) {
    const d = decideAccess({ ...base, target, login });
    assert.equal(d.allow, allow, `${login}@${target}`);
    assert.match(d.reason, reason);
  }
});

test('decideAccess: a disabled user is denied whatever the grants', () => {
  const d = decideAccess({ ...base, userDisabled: true, target: 'web1', login: 'ec2-user' });
  assert.equal(d.allow, false);
  assert.match(d.reason, /disabled/);
});

test('decideAccess: no grants means deny', () => {
  assert.equal(decideAccess({ ...base, grants: [], target: 'web1', login: 'ec2-user' }).allow, false);
});

test('reachable groups logins by target', () => {
  assert.deepEqual([...reachable([...grants, { target: 'web1', login: 'root' }])], [
    ['web1', ['ec2-user', 'root']],
    ['db1', ['*']],
  ]);
});
