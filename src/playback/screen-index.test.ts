import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder } from '../recording/asciicast.js';
import { FileSink } from '../recording/file-sink.js';
import { screenSnapshotsOfFile } from './screen-index.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-screen-index-');
let n = 0;

/** A cast file written by the real recorder, with a clock that advances one second per event. */
async function record(build: (rec: AsciicastRecorder) => void): Promise<string> {
  const path = join(dir, `${++n}.cast`);
  let now = 0;
  const header = { width: 40, height: 5, timestamp: 0, title: 't', env: {}, fumidai: { auditKey: 'k', user: 'u', target: 't', login: 'l', channel: 0 } };
  const rec = new AsciicastRecorder(await FileSink.create(path), header, true, () => (now += 1000));
  build(rec);
  await rec.close();
  return path;
}

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}\r\n`).join('');

test('what is typed after more output than the old 16 MB cap is still indexed', async () => {
  const path = await record((rec) => {
    rec.output(Buffer.from('$ '));
    rec.input(Buffer.from('cat big\r'));
    const burst = Buffer.from(numbered(0, 1000));
    for (let sent = 0; sent < 20 * 1024 * 1024; sent += burst.length) rec.output(burst);
    rec.output(Buffer.from('$ '));
    rec.input(Buffer.from('echo done\r'));
    rec.output(Buffer.from('echo done\r\nsecret-after-the-burst\r\n$ '));
  });
  const screens = await screenSnapshotsOfFile(path);
  const afterBurst = screens.find((s) => s.text.includes('line 999'));
  assert.ok(afterBurst, 'the screen at the end of the burst shows its last lines');
  assert.match(screens.at(-1)!.text, /secret-after-the-burst/);
  assert.ok(screens.at(-1)!.offset > afterBurst.offset);
});

test('a window smaller than the burst shows the same screens as feeding everything', async () => {
  const path = await record((rec) => {
    rec.output(Buffer.from(numbered(0, 5000)));
    rec.input(Buffer.from('\r'));
    rec.resize(40, 3);
    rec.output(Buffer.from('\x1b[2J\x1b[Hcleared\r\n' + numbered(5000, 9000)));
    rec.input(Buffer.from('x'));
    rec.output(Buffer.from('he said "i", then "r", and left\r\n'));
    rec.input(Buffer.from('\n'));
  });
  const everything = await screenSnapshotsOfFile(path, { window: 1 << 30 });
  const tail = await screenSnapshotsOfFile(path, { window: 4096 });
  assert.deepEqual(tail, everything);
  assert.equal(everything.length, 2);
  assert.equal(everything[0]!.text, ['line 4996', 'line 4997', 'line 4998', 'line 4999'].join('\n'));
  assert.match(everything[1]!.text, /^line 8999\nhe said "i", then "r", and left$/);
});

test('a torn last line and a damaged line end the events; the screens before them stay', async () => {
  const path = await record((rec) => {
    rec.output(Buffer.from('first screen\r\n'));
    rec.input(Buffer.from('\r'));
    rec.output(Buffer.from('second screen\r\n'));
  });
  const intact = await screenSnapshotsOfFile(path);
  appendFileSync(path, '[9.5, "o", "torn');
  assert.deepEqual(await screenSnapshotsOfFile(path), intact);

  const damaged = join(dir, 'damaged.cast');
  const lines = [JSON.stringify({ version: 2, width: 40, height: 5 }), '[1,"o","kept\\r\\n"]', '[2,"i","\\r"]', '[3,"o","also kept\\r\\n"]', '[4, "i", broken', '[5,"o","never shown"]'];
  writeFileSync(damaged, lines.join('\n') + '\n');
  assert.deepEqual(await screenSnapshotsOfFile(damaged), [
    { offset: 2, text: 'kept' },
    { offset: 3, text: 'kept\nalso kept' },
  ]);
});

test('a file that is not asciicast v2 is refused', async () => {
  const path = join(dir, 'v1.cast');
  writeFileSync(path, JSON.stringify({ version: 1, width: 80, height: 24 }) + '\n');
  await assert.rejects(screenSnapshotsOfFile(path), /not an asciicast v2 file/);
});
