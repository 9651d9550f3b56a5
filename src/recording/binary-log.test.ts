import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinaryRecorder, decodeBinary, FrameReader, readFrames, STREAM, type Frame } from './binary-log.js';
import { FileSink } from './file-sink.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-bin-');

async function sample(name: string) {
  const path = join(dir, name);
  let t = 0;
  const rec = new BinaryRecorder(await FileSink.create(path), { kind: 'exec', command: 'tar c /srv' }, () => (t += 3));
  const out = randomBytes(100_000);
  rec.frame(STREAM.stdin, Buffer.from('input'));
  rec.frame(STREAM.stdout, out);
  rec.frame(STREAM.stdout, Buffer.alloc(0)); // skipped
  rec.frame(STREAM.stderr, Buffer.from('tar: removing leading /'));
  rec.meta({ exit: 0 });
  const seal = await rec.close();
  return { path, out, seal };
}

test('binary log: frames round-trip with stream, time and exit status; empty chunks are not framed', async () => {
  const { path, out, seal } = await sample('a.bin');
  const file = readFileSync(path);
  assert.equal(seal.bytes, file.length);
  const d = decodeBinary(file);
  assert.equal(d.complete, true);
  assert.deepEqual(d.header, { kind: 'exec', command: 'tar c /srv' });
  assert.deepEqual(d.frames.map((f) => [f.stream, f.ms]), [[0, 3], [1, 6], [2, 9], [3, 12]]);
  assert.deepEqual(d.frames[1]!.data, out);
  assert.deepEqual(JSON.parse(d.frames[3]!.data.toString()), { exit: 0 });
  const streamed: Frame[] = [];
  for await (const f of readFrames(path)) streamed.push(f);
  assert.deepEqual(streamed, d.frames);
});

test('binary log: the reader takes the file in pieces of any size, and stops at a torn frame or crash zeros', async () => {
  const { path } = await sample('b.bin');
  const file = readFileSync(path);
  const whole = decodeBinary(file).frames;
  for (const step of [1, 2, 9, 10, 4096, 65536]) {
    const r = new FrameReader();
    const frames: Frame[] = [];
    for (let i = 0; i < file.length; i += step) frames.push(...r.push(file.subarray(i, i + step)));
    assert.deepEqual(frames, whole, `step ${step}`);
    assert.equal(r.validBytes, file.length);
  }
  const torn = decodeBinary(file.subarray(0, file.length - 3));
  assert.equal(torn.complete, false);
  assert.equal(torn.frames.length, 3);
  const zeros = decodeBinary(Buffer.concat([file, Buffer.alloc(4096)]));
  assert.equal(zeros.complete, false);
  assert.equal(zeros.validBytes, file.length);
  assert.throws(() => decodeBinary(Buffer.from('{"version": 2}\n')), /not a fumidai binary recording/);
});
