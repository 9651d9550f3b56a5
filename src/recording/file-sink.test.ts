import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FileSink, joinAdjacent, piecesAfter } from './file-sink.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-sink-');

test('file sink: small writes are coalesced in memory and reach the file within flushMs', async () => {
  const path = join(dir, 'coalesce');
  const sink = await FileSink.create(path, { flushMs: 100 });
  for (let i = 0; i < 1000; i++) sink.write(`line ${i}\n`);
  await sleep(10);
  assert.equal(statSync(path).size, 0, 'nothing written per call');
  await sleep(250);
  assert.ok(statSync(path).size > 0, 'the timer flushed the buffer');
  const seal = await sink.close();
  assert.equal(seal.bytes, statSync(path).size);
});

test('file sink: a big buffer is flushed at once; above the high-water mark the producer is told to wait', async () => {
  const sink = await FileSink.create(join(dir, 'pressure'), { flushMs: 60_000, flushBytes: 1024, highWater: 4096 });
  sink.write(Buffer.alloc(8192));
  sink.write(Buffer.alloc(8192)); // while the first flush is in flight
  assert.equal(sink.full, true);
  await sink.drained();
  await sink.flush();
  assert.equal(sink.full, false);
  assert.equal((await sink.close()).bytes, 16384);
});

test('file sink: closed while writes queue behind the one in flight, it waits for all of them', async () => {
  const path = join(dir, 'queued');
  const sink = await FileSink.create(path, { flushMs: 60_000, flushBytes: 512 });
  const hash = createHash('sha256');
  // Each write starts (or queues) a flush, as a fast producer does; the second flush takes more pieces than one
  // gathered write can, so it is still writing when close() is called.
  for (let i = 0; i < 3000; i++) {
    const piece = Buffer.alloc(512, i);
    hash.update(piece);
    sink.write(piece);
  }
  const seal = await sink.close();
  assert.equal(seal.bytes, 3000 * 512);
  assert.equal(statSync(path).size, 3000 * 512);
  assert.equal(seal.sha256, hash.digest('hex'));
  assert.equal(seal.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
});

test('file sink: writes made while a flush is in flight share one follow-up flush, however many there are', async () => {
  const sink = await FileSink.create(join(dir, 'follow-up'), { flushMs: 60_000, flushBytes: 16, highWater: 1 << 30 });
  let flushes = 0;
  const flush = sink.flush.bind(sink);
  sink.flush = () => (flushes++, flush()); // counts the calls write() makes and the follow-ups' own
  const writes = 5000;
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < writes / 10; i++) sink.write(Buffer.alloc(64, i)); // each one at or above flushBytes
    await sleep(1); // a write is in flight; the next round's writes find it so
  }
  const seal = await sink.close();
  assert.equal(seal.bytes, writes * 64);
  // One call per write() and one per follow-up; a follow-up chained per caller made this grow with writes squared.
  assert.ok(flushes < writes + 200, `flush ran ${flushes} times for ${writes} writes`);
});

test('file sink: ENOSPC (/dev/full) surfaces everywhere: onError, write, drained, flush callers and close', async () => {
  const sink = await FileSink.create('/dev/full', { flags: 'w', highWater: 10 });
  const seen: Error[] = [];
  sink.onError = (err) => seen.push(err);
  sink.write('x'.repeat(100));
  await sink.flush();
  assert.equal(seen.length, 1);
  assert.equal((seen[0] as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.equal((sink.error as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.throws(() => sink.write('more'), /ENOSPC/);
  await assert.rejects(sink.drained(), /ENOSPC/);
  await assert.rejects(sink.close(), /ENOSPC/);
});

test('file sink: never overwrites a recording; an unwritable place fails at creation', async (t) => {
  await (await FileSink.create(join(dir, 'x'))).close();
  await assert.rejects(FileSink.create(join(dir, 'x')), /EEXIST/);
  await assert.rejects(FileSink.create(join(dir, 'no-such-dir', 'y')), /ENOENT/);
  const ro = join(dir, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  chmodSync(dir, 0o755);
  if (process.getuid?.() !== 0) return void (await assert.rejects(FileSink.create(join(ro, 'z')), /EACCES/));
  // Root ignores directory permissions: try as nobody in a child process, with a copy of the module (it imports only
  // node builtins and direct-io.js) where nobody can read it: the checkout itself may sit in a directory only root can enter.
  const copy = join(dir, 'file-sink.js');
  for (const module of ['file-sink.js', 'direct-io.js']) {
    copyFileSync(fileURLToPath(new URL(`./${module}`, import.meta.url)), join(dir, module));
    chmodSync(join(dir, module), 0o644);
  }
  const script = `import { FileSink } from ${JSON.stringify(pathToFileURL(copy).href)};
    FileSink.create(${JSON.stringify(join(ro, 'z'))}).then(() => console.log('created'), (e) => console.log(e.code));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  if (child.error || child.status !== 0) return t.skip(`EACCES part skipped: cannot run a child as nobody (${child.error?.message ?? child.stderr})`);
  assert.equal(child.stdout.trim(), 'EACCES');
});

test('file sink: many pieces (more than one gathered write takes) reach the file whole and in order, sealed by their sha256', async () => {
  const path = join(dir, 'pieces');
  const sink = await FileSink.create(path, { flushMs: 60_000, flushBytes: 1 << 30 });
  const expected: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    const piece = Buffer.from(`piece ${i} ${'x'.repeat(i % 97)}\n`);
    expected.push(piece);
    sink.write(i % 2 ? piece : piece.toString());
  }
  const seal = await sink.close();
  const content = readFileSync(path);
  assert.ok(content.equals(Buffer.concat(expected)));
  assert.equal(seal.sha256, createHash('sha256').update(content).digest('hex'));
  assert.equal(seal.bytes, content.length);
});

test('file sink: after a short gathered write, the rest starts at the first byte not written', () => {
  const pieces = [Buffer.from('abc'), Buffer.from('defg'), Buffer.from('h')];
  const rest = (n: number) => piecesAfter(pieces, n).map((b) => b.toString()).join('|');
  assert.equal(rest(0), 'abc|defg|h');
  assert.equal(rest(2), 'c|defg|h');
  assert.equal(rest(3), 'defg|h');
  assert.equal(rest(5), 'fg|h');
  assert.equal(rest(7), 'h');
  assert.equal(rest(8), '');
});

test('joinAdjacent: consecutive views of one buffer become one view; anything else stays apart, in order', () => {
  const arena = Buffer.from('abcdefghij');
  const other = Buffer.from('xyz');
  const pieces = [arena.subarray(0, 2), arena.subarray(2, 5), other, arena.subarray(5, 6), arena.subarray(7, 9), arena.subarray(9, 10), Buffer.alloc(0)];
  const joined = joinAdjacent(pieces);
  assert.deepEqual(joined.map((p) => p.toString()), ['abcde', 'xyz', 'f', 'hij', '']);
  assert.ok(joined[0]!.buffer === arena.buffer, 'a view, not a copy');
  assert.deepEqual(Buffer.concat(joined), Buffer.concat(pieces));
  assert.deepEqual(joinAdjacent([]), []);
});
