import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { BinaryRecorder, STREAM } from './binary-log.js';
import { FileSink } from './file-sink.js';
import { BATCH_BYTES, COALESCE_MS, PIECE_BYTES, coalesce, createTap, type TapTarget } from './tap.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-tap-');

const collect = (into: Buffer[]) => new Writable({ write: (c: Buffer, _e, done) => (into.push(c), done()) });

test('tap: bytes pass unchanged and are recorded once each', async () => {
  const chunks = Array.from({ length: 50 }, () => randomBytes(1000));
  const recorded: Buffer[] = [];
  const passed: Buffer[] = [];
  const target: TapTarget = { full: false, drained: () => Promise.resolve() };
  await pipeline(Readable.from(chunks), createTap(target, (c) => recorded.push(c)), collect(passed));
  assert.deepEqual(Buffer.concat(passed), Buffer.concat(chunks));
  assert.deepEqual(Buffer.concat(recorded), Buffer.concat(chunks));
});

test('tap: while the recorder is full, nothing passes until it drains', async () => {
  let release!: () => void;
  const target: TapTarget = { full: true, drained: () => new Promise<void>((r) => (release = r)) };
  const passed: Buffer[] = [];
  const tap = createTap(target, () => undefined);
  tap.pipe(collect(passed));
  tap.write(Buffer.from('held'));
  await sleep(20);
  assert.equal(passed.length, 0);
  target.full = false;
  release();
  await sleep(5);
  assert.deepEqual(passed.map(String), ['held']);
});

test('tap: what is left at the end waits for a full recording to drain, then is recorded and passed on', async () => {
  const target: TapTarget = { full: true, drained: () => sleep(20).then(() => void (target.full = false)) };
  const recorded: Buffer[] = [];
  const passed: Buffer[] = [];
  await pipeline(Readable.from([Buffer.from('last words')]), createTap(target, (c) => recorded.push(c)), collect(passed));
  assert.deepEqual(passed.map(String), ['last words']);
  assert.deepEqual(recorded.map(String), ['last words']);
});

test('tap: a recorder failure (while recording or while waiting) errors the stream', async () => {
  const failing = createTap({ full: false, drained: () => Promise.resolve() }, () => {
    throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
  });
  await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), failing, collect([])), /no space/);
  const waiting = createTap({ full: true, drained: () => Promise.reject(new Error('EACCES')) }, () => undefined);
  await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), waiting, collect([])), /EACCES/);
});

test('tap: with a real recording file behind it, memory stays bounded however fast the source is', async () => {
  const path = join(dir, 'big.bin');
  const highWater = 256 * 1024;
  const sink = await FileSink.create(path, { highWater, flushBytes: 64 * 1024 });
  const rec = new BinaryRecorder(sink, { kind: 'exec' });
  const chunk = randomBytes(32 * 1024);
  let maxBuffered = 0;
  const source = Readable.from((function* () {
    for (let i = 0; i < 1600; i++) yield chunk; // 50 MiB, produced as fast as it is pulled
  })());
  await pipeline(source, createTap(sink, (c) => {
    rec.frame(STREAM.stdout, c);
    maxBuffered = Math.max(maxBuffered, sink.buffered);
  }), new Writable({ write: (_c, _e, done) => done() }));
  const seal = await rec.close();
  assert.ok(maxBuffered <= highWater + BATCH_BYTES + 2 * (chunk.length + 9), `buffered up to ${maxBuffered}`);
  assert.equal(seal.bytes, statSync(path).size);
  assert.equal(seal.bytes > 1600 * chunk.length, true);
});

test('tap: chunks written in one turn leave as one and are recorded as they leave; a lone chunk leaves at once', async () => {
  const recorded: Buffer[] = [];
  const passed: Buffer[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, (c) => recorded.push(c));
  tap.pipe(collect(passed));
  for (let i = 0; i < 10; i++) tap.write(Buffer.from(`chunk ${i};`));
  await sleep(5);
  assert.deepEqual(passed.map(String), [Array.from({ length: 10 }, (_, i) => `chunk ${i};`).join('')]);
  assert.deepEqual(recorded, passed, 'one recorded event per piece passed on');
  await sleep(5); // a quiet spell
  tap.write(Buffer.from('alone'));
  await new Promise((r) => setImmediate(r)); // no timer needed: it leaves within the same turn
  assert.deepEqual(passed.map(String).at(-1), 'alone');
  assert.deepEqual(recorded.map(String).at(-1), 'alone');
});

test('tap: pieces never exceed PIECE_BYTES, and a slow reader holds the writer back', async () => {
  const passed: Buffer[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, () => undefined);
  const chunk = randomBytes(3000);
  let accepted = 0;
  for (let i = 0; i < 200; i++) if (tap.write(chunk)) accepted++;
  await sleep(5);
  assert.ok(tap.readableLength <= tap.readableHighWaterMark + BATCH_BYTES + chunk.length, `buffered ${tap.readableLength}`);
  assert.ok(accepted < 200, 'the writer is told to wait while nobody reads');
  tap.pipe(collect(passed));
  await sleep(20);
  assert.equal(Buffer.concat(passed).length, 200 * chunk.length);
  assert.ok(passed.every((p) => p.length <= PIECE_BYTES));
});

test('tap: a steady stream of small chunks, one per turn, leaves in batches at most COALESCE_MS apart', async () => {
  const recorded: Buffer[] = [];
  const passed: { at: number; data: Buffer }[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, (c) => recorded.push(c));
  tap.pipe(new Writable({ write: (c: Buffer, _e, done) => (passed.push({ at: performance.now(), data: c }), done()) }));
  const start = performance.now();
  const chunks: Buffer[] = [];
  while (performance.now() - start < 30) {
    const c = randomBytes(1500);
    chunks.push(c);
    tap.write(c);
    await new Promise((r) => setImmediate(r));
  }
  tap.end();
  await new Promise((r) => tap.on('end', r));
  await sleep(5);
  assert.deepEqual(recorded, passed.map((p) => p.data), 'recorded as passed on');
  assert.deepEqual(Buffer.concat(passed.map((p) => p.data)), Buffer.concat(chunks));
  assert.ok(passed.length < chunks.length / 2, `${chunks.length} chunks left as ${passed.length}`);
  assert.ok(COALESCE_MS <= 5, 'output in a burst never waits as long as a screen refresh');
});

test('tap: exec-sized chunks leave as they are (no copy), and the last bytes are not held', async () => {
  const passed: Buffer[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, () => undefined);
  tap.pipe(collect(passed));
  // What ssh2 delivers once the packet size is set (ssh2-packet-size.ts), and odd sizes a peer may still send.
  const chunks = [...Array.from({ length: 8 }, () => randomBytes(PIECE_BYTES)), randomBytes(20_000), randomBytes(70_000), randomBytes(5)];
  for (const c of chunks) tap.write(c);
  await sleep(10);
  assert.deepEqual(Buffer.concat(passed), Buffer.concat(chunks));
  assert.ok(passed.every((p) => p.length <= PIECE_BYTES));
  assert.ok(passed.slice(0, 8).every((p, i) => p.buffer === chunks[i]!.buffer && p.byteOffset === chunks[i]!.byteOffset), 'full pieces are the chunks themselves');
});

test('coalesce: small chunks are joined up to PIECE_BYTES, big ones pass as views, a short rest can wait', () => {
  const small = Array.from({ length: 40 }, (_, i) => Buffer.alloc(1700, i));
  const { pieces, rest } = coalesce(small, true);
  assert.deepEqual(pieces.map((p) => p.length), [19 * 1700, 19 * 1700]);
  assert.equal(rest.length, 2);
  assert.ok(rest[0] === small[38], 'the rest is kept as the chunks themselves');
  assert.deepEqual(Buffer.concat([...pieces, ...rest]), Buffer.concat(small));
  assert.deepEqual(coalesce(small).pieces.map((p) => p.length), [19 * 1700, 19 * 1700, 2 * 1700]);
  const big = randomBytes(2 * PIECE_BYTES + 10);
  const cut = coalesce([Buffer.from('ab'), big, Buffer.from('cd')]);
  assert.deepEqual(cut.pieces.map((p) => p.length), [2, PIECE_BYTES, PIECE_BYTES, 12]);
  assert.ok(cut.pieces[1]!.buffer === big.buffer, 'cut, not copied');
  assert.deepEqual(Buffer.concat(cut.pieces), Buffer.concat([Buffer.from('ab'), big, Buffer.from('cd')]));
});
