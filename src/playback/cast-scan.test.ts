import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder, parseCast } from '../recording/asciicast.js';
import { FileSink } from '../recording/file-sink.js';
import { forEachLines, inputOf } from './cast-scan.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-cast-scan-');
const header = { width: 80, height: 24, timestamp: 0, title: 't', env: {}, fumidai: { auditKey: 'k', user: 'u', target: 't', login: 'l', channel: 0 } };

test('inputOf: what was typed, across chunk boundaries and megabytes of output, as the whole-file parse gives it', async () => {
  const path = join(dir, 'typed.cast');
  const rec = new AsciicastRecorder(await FileSink.create(path), header, true);
  const burst = Buffer.from('x'.repeat(700_000) + ' he said "i", to me\r\n');
  for (let i = 0; i < 6; i++) {
    rec.input(Buffer.from(`echo ${i}`));
    rec.input(Buffer.from('\r'));
    rec.output(Buffer.from(`echo ${i}\r\n`)); // the echo: what is typed unechoed is not recorded in clear
    rec.output(burst); // lines of 700 kB: input events fall on both sides of each 1 MB read
  }
  rec.input(Buffer.from('exit\r'));
  rec.output(Buffer.from('exit\r\n'));
  await rec.close();
  const whole = parseCast(readFileSync(path, 'utf8')).events.filter((e) => e.type === 'i').map((e) => e.data).join('');
  assert.equal(await inputOf(path), whole);
  assert.equal(whole, 'echo 0\recho 1\recho 2\recho 3\recho 4\recho 5\rexit\r');

  appendFileSync(path, '[9.9, "i", "torn');
  assert.equal(await inputOf(path), whole, 'a torn last line is left out');
});

test('forEachLines: whole lines only, in order, lines longer than a read too; stops when told', async () => {
  const path = join(dir, 'lines.txt');
  const lines = Array.from({ length: 5000 }, (_, i) => `${i} ${'y'.repeat(i % 700)}`);
  lines.splice(1000, 0, 'z'.repeat(2_500_000), ''); // spans three reads of 1 MB, then an empty line
  writeFileSync(path, lines.join('\n') + '\nno newline');
  const seen: string[] = [];
  await forEachLines(path, (buf) => {
    seen.push(...buf.toString('utf8').split('\n').slice(0, -1));
    return true;
  });
  assert.deepEqual(seen, lines);
  let calls = 0;
  await forEachLines(path, () => (++calls, false));
  assert.equal(calls, 1);
});
