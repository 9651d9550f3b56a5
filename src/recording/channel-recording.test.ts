import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCast } from './asciicast.js';
import { decodeBinary, STREAM } from './binary-log.js';
import { ChannelRecording, type ChannelInfo } from './channel-recording.js';
import type { FileOp } from './file-ops.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-chanrec-');
const base: ChannelInfo = {
  dir, auditKey: '20250101T000000Z-alice-abcd', channel: 1, kind: 'shell', user: 'alice', target: 'web1', login: 'ec2-user', recordInput: true, minFreeBytes: 0, directIo: true,
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('channel recording: a pty shell becomes an asciicast file with input, output and resizes', async () => {
  const rec = await ChannelRecording.start({ ...base, pty: { cols: 80, rows: 24, term: 'xterm' } });
  rec.input(Buffer.from('ls\r'));
  rec.output(Buffer.from('ls\r\na.txt\r\n'));
  rec.resize(100, 40);
  const seal = await rec.close();
  assert.match(seal.path, /01-shell\.cast$/);
  const file = readFileSync(seal.path);
  assert.equal(seal.sha256, sha(file));
  const { header, events } = parseCast(file.toString());
  assert.deepEqual([header.width, header.height, header.title], [80, 24, base.auditKey]);
  assert.deepEqual(events.map((e) => [e.type, e.data]), [['i', 'ls\r'], ['o', 'ls\r\na.txt\r\n'], ['r', '100x40']]);
  assert.deepEqual([rec.bytesIn, rec.bytesOut], [3, 11]);
});

test('channel recording: exec is framed with its command and exit status; sftp also yields file operations', async () => {
  const exec = await ChannelRecording.start({ ...base, channel: 2, kind: 'exec', command: 'uname -a' });
  exec.output(Buffer.from('Linux\n'));
  exec.output(Buffer.from('warn\n'), 'stderr');
  exec.exit(0);
  const { header, frames } = decodeBinary(readFileSync((await exec.close()).path));
  assert.equal(header.command, 'uname -a');
  assert.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[STREAM.stdout, 'Linux\n'], [STREAM.stderr, 'warn\n'], [STREAM.meta, '{"exit":0}']]);

  const sftp = await ChannelRecording.start({ ...base, channel: 3, kind: 'sftp' });
  const ops: FileOp[] = [];
  sftp.onFileOp((o) => ops.push(o));
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
  const packet = (type: number, ...parts: Buffer[]) => { const body = Buffer.concat([Buffer.from([type]), ...parts]); return Buffer.concat([u32(body.length), body]); };
  sftp.input(packet(13, u32(1), str('/tmp/old')));
  sftp.output(packet(101, u32(1), u32(0), str(''), str('')));
  await sftp.close();
  assert.deepEqual(ops, [{ op: 'remove', path: '/tmp/old', result: 'ok' }]);
});

test('channel recording: refused below the free-space floor, before any file exists', async () => {
  await assert.rejects(ChannelRecording.start({ ...base, channel: 4, minFreeBytes: Number.MAX_SAFE_INTEGER }), /not enough free space/);
});

test('channel recording: an sftp stream that stops parsing says its file operations are incomplete, and keeps every byte', async () => {
  const rec = await ChannelRecording.start({ ...base, channel: 7, kind: 'sftp' });
  assert.equal(rec.fileOpsLost, false);
  const garbage = Buffer.alloc(64, 0xff); // a packet length of 4 GiB: not SFTP
  rec.input(garbage);
  assert.equal(rec.fileOpsLost, true);
  const { frames } = decodeBinary(readFileSync((await rec.close()).path));
  assert.deepEqual(Buffer.concat(frames.filter((f) => f.stream === STREAM.stdin).map((f) => f.data)), garbage);
});

test('channel recording: fail() ends the channel through its error listener, once, and leaves the file to seal', async () => {
  const rec = await ChannelRecording.start({ ...base, channel: 9, kind: 'sftp' });
  const early = new Error('failed before the relay listened');
  rec.fail(early); // a listener set later still hears it
  const heard: Error[] = [];
  rec.onError((err) => void heard.push(err));
  rec.fail(new Error('second'));
  assert.deepEqual(heard, [early]);
  rec.output(Buffer.from('still recorded'));
  const seal = await rec.close();
  assert.equal(seal.sha256, sha(readFileSync(seal.path)));
  const relayed = await ChannelRecording.start({ ...base, channel: 10, kind: 'sftp' });
  relayed.onError((err) => void heard.push(err)); // the relay listens first, as it does
  const audit = new Error('FileTransfer could not be written');
  relayed.fail(audit);
  assert.deepEqual(heard, [early, audit]);
  await relayed.close();
});
