import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { SftpTracker } from './sftp-tracker.js';
import type { FileOp } from './file-ops.js';

const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; };
const str = (s: string | Buffer) => { const b = Buffer.from(s); return Buffer.concat([u32(b.length), b]); };
const packet = (type: number, ...parts: Buffer[]) => { const body = Buffer.concat([Buffer.from([type]), ...parts]); return Buffer.concat([u32(body.length), body]); };
const status = (id: number, code = 0, msg = '') => packet(101, u32(id), u32(code), str(msg), str(''));

/** Feeds client and server streams in the order a conversation would, each split into pieces of `step` bytes. */
function converse(steps: [('c' | 's'), Buffer][], step: number): FileOp[] {
  const ops: FileOp[] = [];
  const t = new SftpTracker((o) => ops.push(o));
  for (const [side, data] of steps)
    for (let i = 0; i < data.length; i += step) (side === 'c' ? t.clientData.bind(t) : t.serverData.bind(t))(data.subarray(i, i + step));
  return ops;
}

test('sftp tracker: upload, download, rename, remove and a failed mkdir, split at any byte', () => {
  const data = randomBytes(70_000);
  const digest = createHash('sha256').update(data).digest('hex');
  const h = Buffer.from('h1');
  const steps: [('c' | 's'), Buffer][] = [
    ['c', packet(1, u32(3))], ['s', packet(2, u32(3))],
    ['c', packet(3, u32(1), str('/up.bin'), u32(0x1a), u32(0))], ['s', packet(102, u32(1), str(h))],
    ['c', packet(6, u32(2), str(h), u64(0), str(data.subarray(0, 32768)))],
    ['c', packet(6, u32(3), str(h), u64(32768), str(data.subarray(32768)))],
    ['s', status(2)], ['s', status(3)],
    ['c', packet(4, u32(4), str(h))], ['s', status(4)],
    ['c', packet(3, u32(5), str('/up.bin'), u32(1), u32(0))], ['s', packet(102, u32(5), str('h2'))],
    ['c', packet(5, u32(6), str('h2'), u64(0), u32(40000))], ['c', packet(5, u32(7), str('h2'), u64(40000), u32(40000))],
    ['s', packet(103, u32(6), str(data.subarray(0, 40000)))], ['s', packet(103, u32(7), str(data.subarray(40000)))],
    ['c', packet(4, u32(8), str('h2'))], ['s', status(8)],
    ['c', packet(200, u32(9), str('posix-rename@openssh.com'), str('/up.bin'), str('/b.bin'))], ['s', status(9)],
    ['c', packet(14, u32(10), str('/d'), u32(0))], ['s', status(10, 4, 'Failure')],
    ['c', packet(13, u32(11), str('/b.bin'))], ['s', status(11)],
  ];
  for (const step of [1, 3, 1000, 1 << 20]) {
    assert.deepEqual(converse(steps, step), [
      { op: 'write', path: '/up.bin', bytes: 70_000, sha256: digest, result: 'ok' },
      { op: 'read', path: '/up.bin', bytes: 70_000, sha256: digest, result: 'ok' },
      { op: 'rename', path: '/up.bin', to: '/b.bin', result: 'ok' },
      { op: 'mkdir', path: '/d', result: 'Failure' },
      { op: 'remove', path: '/b.bin', result: 'ok' },
    ], `step ${step}`);
  }
});

test('sftp tracker: out-of-order writes give no digest rather than a wrong one', () => {
  const ops = converse([
    ['c', packet(3, u32(1), str('/x'), u32(0x1a), u32(0))], ['s', packet(102, u32(1), str('h'))],
    ['c', packet(6, u32(2), str('h'), u64(10), str('b'))], ['c', packet(6, u32(3), str('h'), u64(0), str('a'))],
    ['c', packet(4, u32(4), str('h'))], ['s', status(4)],
  ], 64);
  assert.deepEqual(ops, [{ op: 'write', path: '/x', bytes: 2, result: 'ok' }]);
});

test('sftp tracker: garbage does not throw and stops tracking', () => {
  const ops = converse([['c', Buffer.from('this is not sftp at all, just bytes')]], 5);
  assert.deepEqual(ops, []);
});
