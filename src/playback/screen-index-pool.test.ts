import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScreenIndexPool } from './screen-index-pool.js';
import { screenSnapshotsOfFile } from './screen-index.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-screens-');

function cast(name: string, output: string[]): string {
  const path = join(dir, name);
  const events = output.flatMap((o, i) => [[i + 0.5, 'o', o], [i + 0.9, 'i', '\r']]);
  writeFileSync(path, [JSON.stringify({ version: 2, width: 40, height: 5 }), ...events.map((e) => JSON.stringify(e))].join('\n') + '\n');
  return path;
}

/** Nice values of this process's threads (field 19 of /proc/self/task/TID/stat). */
const threadNices = () => readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));

test('screen index pool: jobs queued at once each get their own screens, the same as indexing in this thread', async () => {
  const pool = new ScreenIndexPool();
  const a = cast('a.cast', ['$ ls\r\nalpha beta\r\n$ ', 'cat /etc/passwd\r\nroot:x:0:0\r\n$ ']);
  const b = cast('b.cast', ['\x1b[2J\x1b[Hhello from b\r\n']);
  const [ra, rb] = await Promise.all([pool.snapshots(a), pool.snapshots(b)]);
  assert.deepEqual(ra, await screenSnapshotsOfFile(a));
  assert.deepEqual(rb, await screenSnapshotsOfFile(b));
  assert.match(ra.at(-1)!.text, /root:x:0:0/);
  assert.equal(rb[0]!.text, 'hello from b');
  await pool.close();
});

test('screen index pool: a bad or missing file fails its own job only; the worker runs at a lower priority and stops when idle', async () => {
  const pool = new ScreenIndexPool({ idleMs: 100 });
  const notCast = join(dir, 'not.cast');
  writeFileSync(notCast, '{"version":1}\n');
  const good = cast('good.cast', ['ok\r\n']);
  const results = await Promise.allSettled([pool.snapshots(notCast), pool.snapshots(join(dir, 'missing.cast')), pool.snapshots(good)]);
  assert.match((results[0] as PromiseRejectedResult).reason.message, /not an asciicast v2 file/);
  assert.match((results[1] as PromiseRejectedResult).reason.message, /ENOENT/);
  assert.equal((results[2] as PromiseFulfilledResult<{ text: string }[]>).value[0]!.text, 'ok');
  assert.ok(pool.running);
  assert.ok(threadNices().includes(10), `thread nice values: ${threadNices().join(' ')}`);
  await sleep(300);
  assert.equal(pool.running, false, 'the worker stopped after a quiet spell');
  assert.ok(!threadNices().includes(10));
  assert.equal((await pool.snapshots(good))[0]!.text, 'ok', 'a new job starts a new worker');
  await pool.close();
});

test('screen index pool: idle() waits for every job queued before it, failed ones included', async () => {
  const pool = new ScreenIndexPool();
  await pool.idle(); // nothing queued: at once
  const settled: string[] = [];
  const jobs = [cast('i1.cast', ['one\r\n']), join(dir, 'missing-too.cast'), cast('i2.cast', ['two\r\n'])].map((p) =>
    pool.snapshots(p).then(
      () => settled.push(p),
      () => settled.push(p),
    ),
  );
  await pool.idle();
  assert.equal(settled.length, 3);
  await Promise.all(jobs);
  await pool.close();
});
