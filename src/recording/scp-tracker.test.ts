import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ScpTracker, scpMode } from './scp-tracker.js';
import type { FileOp } from './file-ops.js';

test('scp tracker: uploads with directories, split anywhere', () => {
  assert.deepEqual(scpMode('scp -t /tmp/x'), { op: 'write', path: '/tmp/x' });
  assert.deepEqual(scpMode('scp -r -f /srv'), { op: 'read', path: '/srv' });
  assert.equal(scpMode('ls -t'), undefined);
  const body = randomBytes(5000);
  const stream = Buffer.concat([Buffer.from('D0755 0 sub\nC0644 5000 f.bin\n'), body, Buffer.from([0]), Buffer.from('E\nC0644 0 empty\n'), Buffer.from([0])]);
  for (const step of [1, 7, 4096]) {
    const ops: FileOp[] = [];
    const t = new ScpTracker({ op: 'write', path: '/dst' }, (o) => ops.push(o));
    for (let i = 0; i < stream.length; i += step) t.data(stream.subarray(i, i + step));
    assert.deepEqual(ops.map((o) => [o.path, o.bytes]), [['/dst/sub/f.bin', 5000], ['/dst/empty', 0]]);
    assert.equal(ops[0]!.sha256, createHash('sha256').update(body).digest('hex'));
  }
});
