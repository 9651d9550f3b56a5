import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDestination } from './destination.js';

test('parseDestination', () => {
  assert.deepEqual(parseDestination('alice', 'alice'), { kind: 'none' });
  assert.deepEqual(parseDestination('', 'alice'), { kind: 'none' });
  assert.deepEqual(parseDestination('web1', 'alice'), { kind: 'target', target: 'web1' });
  assert.deepEqual(parseDestination('ec2-user@web1', 'alice'), { kind: 'target', target: 'web1', login: 'ec2-user' });
  assert.deepEqual(parseDestination('a@b@web1', 'alice'), { kind: 'target', target: 'web1', login: 'a@b' });
  assert.deepEqual(parseDestination('@web1', 'alice'), { kind: 'target', target: 'web1' });
});
