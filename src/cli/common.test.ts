// Admin changes fail closed: the AdminChange is written before the change is applied; a change the trail cannot hold
// is not applied, and one that was written but then failed to apply gets a second AdminChange with result failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { adminChange } from './common.js';

const dir = {} as DataDir;

function chain(failWith?: Error) {
  const steps: unknown[] = [];
  const record = async (_dir: DataDir, action: string, details: object, result: 'success' | 'failure' = 'success') => {
    if (failWith) throw failWith;
    steps.push(['AdminChange', action, result, details]);
  };
  return { steps, record };
}

test('admin change: recorded first, then applied; what apply returns comes back', async () => {
  const { steps, record } = chain();
  const out = await adminChange(dir, 'grant alice ec2-user@web1', {}, async () => (steps.push('applied'), 'ec2-user'), record);
  assert.equal(out, 'ec2-user');
  assert.deepEqual(steps, [['AdminChange', 'grant alice ec2-user@web1', 'success', {}], 'applied']);
});

test('admin change: not applied when the trail cannot take it (AUDIT_UNAVAILABLE with the cause)', async () => {
  const { steps, record } = chain(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
  await assert.rejects(adminChange(dir, 'user add carol', {}, async () => void steps.push('applied'), record), (err: Error & { code?: string; line?: string }) => {
    assert.equal(err.code, 'AUDIT_UNAVAILABLE');
    assert.equal(err.line, 'fumidai: the audit trail cannot be written (ENOSPC), so this was refused; tell the administrator (AUDIT_UNAVAILABLE)');
    return true;
  });
  assert.deepEqual(steps, []);
});

test('admin change: recorded but then not applied: a second AdminChange says so, and the error reaches the admin', async () => {
  const { steps, record } = chain();
  const exists = fail('USER_EXISTS', 'carol');
  await assert.rejects(adminChange(dir, 'user add carol', { keys: ['SHA256:k'] }, () => Promise.reject(exists), record), exists);
  assert.deepEqual(steps, [
    ['AdminChange', 'user add carol', 'success', { keys: ['SHA256:k'] }],
    ['AdminChange', 'user add carol', 'failure', { keys: ['SHA256:k'], error: 'USER_EXISTS' }],
  ]);
});
