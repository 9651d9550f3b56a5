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
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const OPEN = 3, CLOSE = 4, READ = 5, WRITE = 6, HANDLE = 102, DATA = 103;
const READ_ONLY = 0x01, WRITE_CREATE_TRUNC = 0x1a;
type Step = ['c' | 's', Buffer];

/** Feeds a conversation in order, each message cut by `split` into pieces. */
function converse(steps: Step[], split: (b: Buffer) => Buffer[]): FileOp[] {
  const ops: FileOp[] = [];
  const t = new SftpTracker((o) => ops.push(o));
  for (const [side, data] of steps) for (const piece of split(data)) (side === 'c' ? t.clientData(piece) : t.serverData(piece));
  t.end();
  return ops;
}
const inSteps = (step: number) => (b: Buffer) => Array.from({ length: Math.ceil(b.length / step) }, (_, i) => b.subarray(i * step, (i + 1) * step));
const atByte = (k: number) => (b: Buffer) => [b.subarray(0, k), b.subarray(k)];
/** Several messages in one chunk, as a busy channel delivers them. */
const joined = (steps: Step[]): Step[] => steps.reduce<Step[]>((acc, [side, b]) => {
  const last = acc.at(-1);
  if (last && last[0] === side) last[1] = Buffer.concat([last[1], b]);
  else acc.push([side, b]);
  return acc;
}, []);

const data = randomBytes(70_000);
const upAndDown: Step[] = [
  ['c', packet(1, u32(3))], ['s', packet(2, u32(3))],
  ['c', packet(OPEN, u32(1), str('/up.bin'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(1), str('h1'))],
  ['c', packet(WRITE, u32(2), str('h1'), u64(0), str(data.subarray(0, 32768)))],
  ['c', packet(WRITE, u32(3), str('h1'), u64(32768), str(data.subarray(32768)))],
  ['s', status(2)], ['s', status(3)],
  ['c', packet(CLOSE, u32(4), str('h1'))], ['s', status(4)],
  ['c', packet(OPEN, u32(5), str('/up.bin'), u32(READ_ONLY), u32(0))], ['s', packet(HANDLE, u32(5), str('h2'))],
  ['c', packet(READ, u32(6), str('h2'), u64(0), u32(40000))], ['c', packet(READ, u32(7), str('h2'), u64(40000), u32(40000))],
  ['s', packet(DATA, u32(6), str(data.subarray(0, 40000)))], ['s', packet(DATA, u32(7), str(data.subarray(40000)))],
  ['c', packet(READ, u32(8), str('h2'), u64(70000), u32(40000))], ['s', status(8, 1, 'EOF')],
  ['c', packet(CLOSE, u32(9), str('h2'))], ['s', status(9)],
  ['c', packet(200, u32(10), str('posix-rename@openssh.com'), str('/up.bin'), str('/b.bin'))], ['s', status(10)],
  ['c', packet(14, u32(11), str('/d'), u32(0))], ['s', status(11, 4, 'Failure')],
  ['c', packet(13, u32(12), str('/b.bin'))], ['s', status(12)],
];
const upAndDownOps: FileOp[] = [
  { op: 'write', path: '/up.bin', bytes: 70_000, sha256: sha(data), result: 'ok' },
  { op: 'read', path: '/up.bin', bytes: 70_000, sha256: sha(data), result: 'ok' },
  { op: 'rename', path: '/up.bin', to: '/b.bin', result: 'ok' },
  { op: 'mkdir', path: '/d', result: 'Failure' },
  { op: 'remove', path: '/b.bin', result: 'ok' },
];

test('sftp tracker: upload, download, rename, remove and a failed mkdir, in pieces of any size', () => {
  for (const step of [1, 3, 1000, 1 << 20]) assert.deepEqual(converse(upAndDown, inSteps(step)), upAndDownOps, `step ${step}`);
  assert.deepEqual(converse(joined(upAndDown), inSteps(1 << 20)), upAndDownOps, 'messages sharing chunks');
});

test('sftp tracker: every message cut at every byte boundary', () => {
  const small = randomBytes(300);
  const steps: Step[] = [
    ['c', packet(OPEN, u32(1), str('/s'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(1), str('hh'))],
    ['c', packet(WRITE, u32(2), str('hh'), u64(0), str(small))], ['s', status(2)],
    ['c', packet(CLOSE, u32(3), str('hh'))], ['s', status(3)],
  ];
  const longest = Math.max(...steps.map(([, b]) => b.length));
  for (let k = 0; k <= longest; k++) {
    assert.deepEqual(converse(steps, atByte(k)), [{ op: 'write', path: '/s', bytes: 300, sha256: sha(small), result: 'ok' }], `cut at ${k}`);
  }
});

test('sftp tracker: pipelined reads answered out of order (a short read re-requested later) still hash right', () => {
  // OpenSSH's client asks for 0-40000 and 40000-70000; the server answers the first short (25000 bytes), so the
  // client asks again for 25000-40000 after the second answer has arrived.
  const ops = converse([
    ['c', packet(OPEN, u32(1), str('/dl'), u32(READ_ONLY), u32(0))], ['s', packet(HANDLE, u32(1), str('h'))],
    ['c', packet(READ, u32(2), str('h'), u64(0), u32(40000))], ['c', packet(READ, u32(3), str('h'), u64(40000), u32(40000))],
    ['s', packet(DATA, u32(2), str(data.subarray(0, 25000)))], ['s', packet(DATA, u32(3), str(data.subarray(40000)))],
    ['c', packet(READ, u32(4), str('h'), u64(25000), u32(15000))], ['s', packet(DATA, u32(4), str(data.subarray(25000, 40000)))],
    ['c', packet(CLOSE, u32(5), str('h'))], ['s', status(5)],
  ], inSteps(4096));
  assert.deepEqual(ops, [{ op: 'read', path: '/dl', bytes: 70_000, sha256: sha(data), result: 'ok' }]);
});

test('sftp tracker: a gap or an overlap gives no digest rather than a wrong one', () => {
  const gap = converse([
    ['c', packet(OPEN, u32(1), str('/x'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(1), str('h'))],
    ['c', packet(WRITE, u32(2), str('h'), u64(10), str('b'))], ['c', packet(WRITE, u32(3), str('h'), u64(0), str('a'))],
    ['c', packet(CLOSE, u32(4), str('h'))], ['s', status(4)],
  ], inSteps(64));
  assert.deepEqual(gap, [{ op: 'write', path: '/x', bytes: 2, result: 'ok' }]);
  const overlap = converse([
    ['c', packet(OPEN, u32(1), str('/y'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(1), str('h'))],
    ['c', packet(WRITE, u32(2), str('h'), u64(0), str('abcd'))], ['c', packet(WRITE, u32(3), str('h'), u64(2), str('XY'))],
    ['c', packet(CLOSE, u32(4), str('h'))], ['s', status(4)],
  ], inSteps(64));
  assert.deepEqual(overlap, [{ op: 'write', path: '/y', bytes: 6, result: 'ok' }]);
});

test('sftp tracker: refused opens, failed writes, empty files, links, setstat and files left open are reported', () => {
  const ops = converse([
    ['c', packet(OPEN, u32(1), str('/etc/shadow'), u32(READ_ONLY), u32(0))], ['s', status(1, 3, 'Permission denied')],
    ['c', packet(OPEN, u32(2), str('/full'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(2), str('f'))],
    ['c', packet(WRITE, u32(3), str('f'), u64(0), str('abc'))], ['s', status(3, 4, 'No space left on device')],
    ['c', packet(CLOSE, u32(4), str('f'))], ['s', status(4)],
    ['c', packet(OPEN, u32(5), str('/empty'), u32(READ_ONLY), u32(0))], ['s', packet(HANDLE, u32(5), str('e'))],
    ['c', packet(READ, u32(6), str('e'), u64(0), u32(32768))], ['s', status(6, 1, 'End of file')],
    ['c', packet(10, u32(7), str('e'), u32(4), u32(0o4755))], ['s', status(7)],
    ['c', packet(CLOSE, u32(8), str('e'))], ['s', status(8)],
    ['c', packet(20, u32(9), str('/target'), str('/link'))], ['s', status(9)],
    ['c', packet(200, u32(10), str('hardlink@openssh.com'), str('/a'), str('/b'))], ['s', status(10, 8)],
    ['c', packet(OPEN, u32(11), str('/left-open'), u32(WRITE_CREATE_TRUNC), u32(0))], ['s', packet(HANDLE, u32(11), str('o'))],
    ['c', packet(WRITE, u32(12), str('o'), u64(0), str('zz'))],
  ], inSteps(7));
  assert.deepEqual(ops, [
    { op: 'read', path: '/etc/shadow', bytes: 0, result: 'Permission denied' },
    { op: 'write', path: '/full', bytes: 3, sha256: sha(Buffer.from('abc')), result: 'No space left on device' },
    { op: 'setstat', path: '/empty', result: 'ok' },
    { op: 'read', path: '/empty', bytes: 0, sha256: sha(Buffer.alloc(0)), result: 'ok' },
    { op: 'symlink', path: '/link', to: '/target', result: 'ok' },
    { op: 'link', path: '/b', to: '/a', result: 'operation unsupported' },
    { op: 'write', path: '/left-open', bytes: 2, sha256: sha(Buffer.from('zz')), result: 'not closed: the channel ended first' },
  ]);
});

test('sftp tracker: garbage does not throw and stops tracking', () => {
  const ops: FileOp[] = [];
  const t = new SftpTracker((o) => ops.push(o));
  t.clientData(Buffer.from('this is not sftp at all, just bytes'));
  t.serverData(packet(HANDLE, u32(1))); // truncated fields inside a well-framed packet: ignored
  assert.equal(t.lost, true);
  assert.deepEqual(ops, []);
});
