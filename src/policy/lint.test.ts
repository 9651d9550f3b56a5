import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyWarnings } from './lint.js';
import { EMPTY_POLICY } from './types.js';

test('policy lint: selectors and names that match nothing are warnings with their path; what exists is quiet', () => {
  const doc = {
    ...EMPTY_POLICY,
    groups: { ops: ['alice', 'ghost'] },
    targets: { web1: { env: 'prod' }, gone: { env: 'prod' } },
    rules: [
      { name: 'ops', effect: 'allow' as const, groups: ['ops'], targets: ['env=prod', 'env=prdo', 'web*', 'db*'] },
      { name: 'all', effect: 'allow' as const, users: ['*', 'bob', 'carol'] },
    ],
  };
  assert.deepEqual(policyWarnings(doc, { users: ['alice', 'bob'], targets: ['web1', 'web2'] }).map((w) => `${w.path.join('.')}: ${w.message}`), [
    "groups.ops.1: user 'ghost' does not exist",
    "targets.gone: target 'gone' does not exist: its labels label nothing",
    "rules.0.targets.1: 'env=prdo' matches no target (no target has that label under targets:): rule 'ops' never applies there",
    "rules.0.targets.3: 'db*' matches no target: rule 'ops' never applies there",
    "rules.1.users.2: user 'carol' does not exist",
  ]);
});
