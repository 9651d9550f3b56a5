import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { constants, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { BLOCK } from './direct-io.js';
import { FileSink } from './file-sink.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-direct-');

/** Whether this directory's filesystem takes O_DIRECT at all (tmpfs before Linux 6.6 does not); the tests below need it to. */
async function directSupported(): Promise<boolean> {
  try {
    await (await open(join(dir, 'probe'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT)).close();
    return true;
  } catch {
    return false;
  }
}

/** Bytes of the file in the page cache, by util-linux's fincore. */
function cachedBytes(path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim());
}

test('direct writes: the file always holds exactly what was flushed, across block and staging-slot edges', async (t) => {
  if (!(await directSupported())) return t.skip(`${dir} has no direct I/O`);
  const path = join(dir, 'edges');
  const sink = await FileSink.create(path, { flushMs: 60_000, flushBytes: Number.MAX_SAFE_INTEGER, direct: true });
  assert.equal(sink.direct, true);
  // Sizes that end inside a block, on a block edge, just past one, and beyond one 256 KiB staging slot.
  const sizes = [1, 17, BLOCK - 18, 1, BLOCK, 3 * BLOCK + 5, 100, 256 * 1024 - 7, 256 * 1024 + 4096 * 3 + 9, 2, 700_001];
  const all: Buffer[] = [];
  for (const size of sizes) {
    // Several pieces per flush, one cut at an odd place, as the relay hands them over.
    const data = randomBytes(size);
    const cut = Math.floor(size / 3);
    sink.write(data.subarray(0, cut));
    sink.write(data.subarray(cut));
    all.push(data);
    await sink.flush();
    const expected = Buffer.concat(all);
    assert.equal(statSync(path).size, expected.length, `size after a flush of ${size}`);
    assert.ok(readFileSync(path).equals(expected), `content after a flush of ${size}`);
  }
  const seal = await sink.close();
  const whole = Buffer.concat(all);
  assert.equal(seal.bytes, whole.length);
  assert.equal(seal.sha256, createHash('sha256').update(whole).digest('hex'));
  assert.equal(sink.direct, true, 'no direct write was refused');
});

test('direct writes: a recording does not fill the page cache; with directIo off it does', async (t) => {
  if (!(await directSupported())) return t.skip(`${dir} has no direct I/O`);
  const chunk = randomBytes(64 * 1024);
  const cached = async (name: string, direct: boolean) => {
    const path = join(dir, name);
    const sink = await FileSink.create(path, { direct });
    assert.equal(sink.direct, direct);
    for (let i = 0; i < 128; i++) sink.write(chunk); // 8 MiB
    await sink.flush();
    const bytes = cachedBytes(path);
    await sink.close();
    return bytes;
  };
  const direct = await cached('direct', true);
  const buffered = await cached('buffered', false);
  assert.ok(direct <= BLOCK, `direct: ${direct} bytes cached (at most the partial last block)`);
  assert.ok(buffered >= 4 * 1024 * 1024, `buffered: ${buffered} bytes cached`);
});

/** Waits until `check` holds, polling; fails after `ms`. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('direct writes: a flush started by the buffer size keeps the partial block in memory, the timer writes it within its period', async (t) => {
  if (!(await directSupported())) return t.skip(`${dir} has no direct I/O`);
  const path = join(dir, 'held-tail');
  const sink = await FileSink.create(path, { flushMs: 1000, flushBytes: 8 * BLOCK, direct: true });
  const data = randomBytes(10 * BLOCK + 123);
  sink.write(data); // above flushBytes: a flush starts at once, long before the timer's first tick
  await until(() => statSync(path).size > 0, 500, 'the size-started flush');
  // Only whole blocks went out, none of them through the page cache (no page for the next direct write to wait on).
  assert.equal(statSync(path).size, 10 * BLOCK);
  assert.equal(cachedBytes(path), 0);
  // The timer completes the file without any flush() call: what a killed process loses stays bounded by the period.
  await until(() => statSync(path).size === data.length, 3000, 'the timer flush');
  assert.ok(readFileSync(path).equals(data));
  // More data after a written tail rewrites that block directly and goes on from there.
  const more = randomBytes(3 * BLOCK);
  sink.write(more);
  await sink.flush();
  assert.ok(readFileSync(path).equals(Buffer.concat([data, more])));
  await sink.close();
});
