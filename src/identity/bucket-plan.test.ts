import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSync } from './bucket-plan.js';

test('bucket key sync plan: new, changed, unchanged, removed, bad names, other files', () => {
  const plan = planSync(
    [
      { key: 'public-keys/alice.pub', etag: '"a2"' },
      { key: 'public-keys/bob.pub', etag: '"b1"' },
      { key: 'public-keys/carol.pub', etag: '"c1"' },
      { key: 'public-keys/Bad_Name.pub', etag: '"x"' },
      { key: 'public-keys/readme.txt', etag: '"r"' },
      { key: 'public-keys/sub/dave.pub', etag: '"d"' },
    ],
    [
      { objectKey: 'public-keys/alice.pub', etag: '"a1"', user: 'alice' },
      { objectKey: 'public-keys/bob.pub', etag: '"b1"', user: 'bob' },
      { objectKey: 'public-keys/erin.pub', etag: '"e1"', user: 'erin' },
    ],
    'public-keys/',
  );
  assert.deepEqual(plan.fetch.map((f) => f.user), ['alice', 'carol']);
  assert.deepEqual(plan.remove.map((r) => r.user), ['erin']);
  assert.deepEqual(plan.skip, [{ key: 'public-keys/Bad_Name.pub', etag: '"x"', reason: "user name 'Bad_Name' does not match ^[a-z][-a-z0-9]*$" }]);
});
