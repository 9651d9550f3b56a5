import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_KEY, auditObjectKey, auditPieceKey, auditPieceOf, auditSegmentOf, recordingObjectKey, sessionRecordingsPrefix } from './object-keys.js';

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

test('object keys: the pieces of a segment name it and their offset, and list in byte order', () => {
  const segment = auditObjectKey('fumidai/', 'bastion1', '2026-11-25.jsonl');
  assert.equal(auditPieceKey(segment, 1234), 'fumidai/audit/bastion1/2026-11-25.jsonl.d/0000000000001234');
  assert.deepEqual(auditPieceOf('fumidai/', auditPieceKey(segment, 1234)), { chain: 'bastion1', file: '2026-11-25.jsonl', offset: 1234 });
  assert.ok(auditPieceKey(segment, 999) < auditPieceKey(segment, 1000));
  assert.equal(auditSegmentOf('fumidai/', auditPieceKey(segment, 0)), undefined, 'a piece is not a whole segment');
  for (const bad of [segment, `${segment}.d/1234`, `${segment}.d/0000000000001234.x`, 'fumidai/audit/../2026-11-25.jsonl.d/0000000000000000'])
    assert.equal(auditPieceOf('fumidai/', bad), undefined, bad);
});
