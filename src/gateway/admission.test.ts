import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission } from './admission.js';
import { RefusalDigest } from './refusal-digest.js';

test('admission: per-address and global limits on unauthenticated connections; a release frees a place', () => {
  const a = new Admission();
  const limits = { maxStartups: 3, perSourceMaxStartups: 2 };
  assert.deepEqual(a.admit('10.0.0.1', limits), { ok: true });
  assert.deepEqual(a.admit('10.0.0.1', limits), { ok: true });
  assert.deepEqual(a.admit('10.0.0.1', limits), { ok: false, limit: 'perSourceMaxStartups' });
  assert.deepEqual(a.admit('10.0.0.2', limits), { ok: true });
  assert.deepEqual(a.admit('10.0.0.3', limits), { ok: false, limit: 'maxStartups' });
  a.release('10.0.0.1');
  assert.equal(a.unauthenticated, 2);
  assert.deepEqual(a.admit('10.0.0.3', limits), { ok: true });
});

test('refusal digest: the first refusal of an address is written, the rest counted per interval', () => {
  const d = new RefusalDigest({ immediate: 2, addresses: 3 });
  assert.equal(d.note('a', 'banned'), true);
  for (let i = 0; i < 99; i++) assert.equal(d.note('a', i % 2 ? 'banned' : 'startups'), false);
  assert.equal(d.note('b', 'banned'), true);
  assert.equal(d.note('c', 'banned'), false, 'past the immediate budget: counted only');
  assert.equal(d.note('d', 'banned'), false, 'past the tracked addresses: counted together');
  assert.equal(d.note('e', 'banned'), false);
  assert.deepEqual(d.drain(), [
    { ip: 'a', count: 99, reasons: { startups: 50, banned: 49 } },
    { ip: 'c', count: 1, reasons: { banned: 1 } },
    { count: 2, reasons: { banned: 2 } },
  ]);
  assert.equal(d.note('a', 'banned'), true, 'a new interval writes the first again');
  assert.deepEqual(d.drain(), []);
});
