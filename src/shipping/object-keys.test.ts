import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_KEY, auditObjectKey, auditSegmentOf, recordingObjectKey, sessionRecordingsPrefix } from './object-keys.js';

test('object keys: what the shipper writes, the readers find', () => {
  const key = '20261125T021503Z-alice-3f9c2a1b7e';
  assert.ok(AUDIT_KEY.test(key));
  assert.ok(recordingObjectKey('fumidai/', `20261125/${key}/01-shell.cast`).startsWith(sessionRecordingsPrefix('fumidai/', key)));
  assert.deepEqual(auditSegmentOf('fumidai/', auditObjectKey('fumidai/', 'bastion1-admin', '2026-11-25.jsonl')), { chain: 'bastion1-admin', file: '2026-11-25.jsonl' });
});

test('object keys: anything but an audit key or a segment key is refused, `..` above all', () => {
  for (const bad of ['../x', '20261125T021503Z-alice-3f9c2a1b7e/../..', '20261125T021503Z-Alice-3f9c2a1b7e', '']) assert.ok(!AUDIT_KEY.test(bad), bad);
  for (const bad of ['fumidai/audit/../../../home/auditor/2026-11-25.jsonl', 'fumidai/audit/../2026-11-25.jsonl', 'fumidai/audit/..x/2026-11-25.jsonl',
    'fumidai/audit/n1/sub/2026-11-25.jsonl', 'fumidai/audit/n1/notes.jsonl', 'other/audit/n1/2026-11-25.jsonl', 'fumidai/audit/n1/2026-11-25.jsonl.torn'])
    assert.equal(auditSegmentOf('fumidai/', bad), undefined, bad);
});
