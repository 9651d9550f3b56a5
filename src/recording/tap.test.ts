import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BinaryRecorder, STREAM } from './binary-log.js';
import { FileSink } from './file-sink.js';
import { COALESCE_BYTES, createTap, type TapTarget } from './tap.js';

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

test('tap: a recorder failure (while recording or while waiting) errors the stream', async () => {
  const failing = createTap({ full: false, drained: () => Promise.resolve() }, () => {
    throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
  });
  await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), failing, collect([])), /no space/);
  const waiting = createTap({ full: true, drained: () => Promise.reject(new Error('EACCES')) }, () => undefined);
  await assert.rejects(pipeline(Readable.from([Buffer.from('x')]), waiting, collect([])), /EACCES/);
});

test('tap: with a real recording file behind it, memory stays bounded however fast the source is', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'fumidai-tap-')), 'big.bin');
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
  assert.ok(maxBuffered <= highWater + 2 * (chunk.length + 9), `buffered up to ${maxBuffered}`);
  assert.equal(seal.bytes, statSync(path).size);
  assert.equal(seal.bytes > 1600 * chunk.length, true);
});

test('tap: chunks written in one turn leave as one, each still recorded on its own; a lone chunk leaves at once', async () => {
  const recorded: Buffer[] = [];
  const passed: Buffer[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, (c) => recorded.push(c));
  tap.pipe(collect(passed));
  for (let i = 0; i < 10; i++) tap.write(Buffer.from(`chunk ${i};`));
  await sleep(5);
  assert.equal(recorded.length, 10);
  assert.deepEqual(passed.map(String), [Array.from({ length: 10 }, (_, i) => `chunk ${i};`).join('')]);
  tap.write(Buffer.from('alone'));
  await new Promise((r) => setImmediate(r)); // no timer needed: it leaves within the same turn
  assert.deepEqual(passed.map(String).at(-1), 'alone');
});

test('tap: coalesced output never exceeds COALESCE_BYTES plus one chunk, and a slow reader holds the writer back', async () => {
  const passed: Buffer[] = [];
  const tap = createTap({ full: false, drained: () => Promise.resolve() }, () => undefined);
  const chunk = randomBytes(3000);
  let accepted = 0;
  for (let i = 0; i < 200; i++) if (tap.write(chunk)) accepted++;
  await sleep(5);
  assert.ok(tap.readableLength <= tap.readableHighWaterMark + COALESCE_BYTES + chunk.length, `buffered ${tap.readableLength}`);
  assert.ok(accepted < 200, 'the writer is told to wait while nobody reads');
  tap.pipe(collect(passed));
  await sleep(20);
  assert.equal(Buffer.concat(passed).length, 200 * chunk.length);
  assert.ok(passed.every((p) => p.length <= COALESCE_BYTES + chunk.length));
});
