import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder, parseCast, rawBytes } from '../recording/asciicast.js';
import { BinaryRecorder, decodeBinary, STREAM } from '../recording/binary-log.js';
import { FileSink } from '../recording/file-sink.js';
import { outputOf, replay, timedOutput, type Timed } from './replay.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-replay-');

async function collect(events: AsyncIterable<Timed>): Promise<Timed[]> {
  const out: Timed[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** The same bytes in pieces of `size` (1: every byte on its own). */
async function* pieces(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function castFile(): Promise<string> {
  const path = join(dir, 'a.cast');
  let t = 0;
  const header = { width: 80, height: 24, timestamp: 0, title: 'k', env: {}, fumidai: { auditKey: 'k', user: 'u', target: 't', login: 'l', channel: 1 } };
  const rec = new AsciicastRecorder(await FileSink.create(path), header, true, () => (t += 0.25));
  rec.output(Buffer.from('caf\xc3\xa9 \n', 'latin1'));
  rec.input(Buffer.from('ls\r'));
  rec.output(Buffer.from([0x41, 0xff, 0xfe, 0x0a, 0x42])); // not UTF-8: an "o" then its exact bytes in a "b"
  rec.resize(100, 30);
  rec.output(Buffer.from('\u3042\u3044 last'));
  await rec.close();
  return path;
}

test('replay: a terminal recording streamed in any pieces gives the exact bytes the whole-file reader gives', async () => {
  const path = await castFile();
  const file = readFileSync(path);
  const expected = rawBytes(parseCast(file.toString('utf8')).events).map((e) => ({ ...e, stream: 'stdout' }));
  assert.ok(expected.some((e) => e.data.includes(0xff)), 'the sample has bytes only a "b" event keeps');
  for (const size of [1, 2, 7, 64, file.length]) assert.deepEqual(await collect(timedOutput(pieces(file, size))), expected, `pieces of ${size}`);
  assert.deepEqual(await collect(outputOf(path)), expected);
  // A torn last line (a killed process) ends the output; what came before stays.
  const torn = Buffer.concat([file, Buffer.from('[9.5, "o", "half')]);
  assert.deepEqual(await collect(timedOutput(pieces(torn, 5))), expected);
});

test('replay: a binary recording streamed in any pieces gives stdout and stderr frames with their times', async () => {
  const path = join(dir, 'b.bin');
  let t = 0;
  const rec = new BinaryRecorder(await FileSink.create(path), { kind: 'exec', command: 'x' }, () => (t += 500));
  rec.frame(STREAM.stdin, Buffer.from('in'));
  rec.frame(STREAM.stdout, Buffer.from([0, 1, 2, 0xff]));
  rec.frame(STREAM.stderr, Buffer.from('warn\n'));
  rec.meta({ exit: 0 });
  await rec.close();
  const file = readFileSync(path);
  const expected = decodeBinary(file).frames.filter((f) => f.stream === STREAM.stdout || f.stream === STREAM.stderr)
    .map((f) => ({ time: f.ms / 1000, data: f.data, stream: f.stream === STREAM.stdout ? 'stdout' : 'stderr' }));
  assert.equal(expected.length, 2);
  for (const size of [1, 3, 16, file.length]) assert.deepEqual(await collect(timedOutput(pieces(file, size))), expected, `pieces of ${size}`);
});

test('replay: something that is not a recording is refused; pauses are cut to the idle limit and scaled by speed', async () => {
  await assert.rejects(collect(timedOutput(pieces(Buffer.from('hello\nworld\n'), 4))), /not an asciicast v2 file/);
  await assert.rejects(collect(timedOutput(pieces(Buffer.alloc(0), 1))), /not an asciicast v2 file/);
  const slept: number[] = [];
  const events = [0.5, 10.5, 11].map((time) => ({ time, data: Buffer.from('x'), stream: 'stdout' as const }));
  await replay(events, () => undefined, { speed: 2, idleLimit: 3, noWait: false }, async (ms) => void slept.push(ms));
  assert.deepEqual(slept, [250, 1500, 250]);
});
