import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsciicastRecorder, parseCast } from './asciicast.js';
import { BinaryRecorder, decodeBinary, STREAM } from './binary-log.js';
import { FileSink } from './file-sink.js';
import { repairRecording } from './recovery.js';
import { ScpTracker, scpMode } from './scp-tracker.js';
import type { FileOp } from './file-ops.js';

const dir = mkdtempSync(join(tmpdir(), 'fumidai-rec-unit-'));
const header = { width: 80, height: 24, timestamp: 0, title: 'k', env: {}, fumidai: { auditKey: 'k', user: 'u', target: 't', login: 'l', channel: 1 } };

test('asciicast: a character split across chunks is kept whole; invalid bytes stay recoverable', async () => {
  const path = join(dir, 'a.cast');
  const rec = new AsciicastRecorder(await FileSink.create(path), header, true);
  const word = Buffer.from('あい✓');
  rec.output(word.subarray(0, 1));
  rec.output(word.subarray(1, 5));
  rec.output(word.subarray(5));
  rec.output(Buffer.from([0x41, 0xff, 0x42]));
  rec.resize(100, 30);
  const seal = await rec.close();
  const text = readFileSync(path);
  assert.equal(seal.sha256, createHash('sha256').update(text).digest('hex'));
  const { events } = parseCast(text.toString());
  assert.equal(events.filter((e) => e.type === 'o').map((e) => e.data).slice(0, 2).join(''), 'あい✓');
  const raw = events.find((e) => e.type === 'b')!;
  assert.deepEqual(Buffer.from(raw.data.slice(2), 'base64'), Buffer.from([0x41, 0xff, 0x42]));
  assert.deepEqual(events.at(-1), { time: events.at(-1)!.time, type: 'r', data: '100x30' });
});

test('binary log: frames round-trip; a torn tail is detected and cut by recovery', async () => {
  const path = join(dir, 'b.bin');
  const rec = new BinaryRecorder(await FileSink.create(path), { kind: 'exec' });
  const data = randomBytes(100_000);
  rec.frame(STREAM.stdout, data);
  rec.frame(STREAM.stderr, Buffer.from('err'));
  rec.meta({ exit: 0 });
  await rec.close();
  const full = readFileSync(path);
  const decoded = decodeBinary(full);
  assert.ok(decoded.complete);
  assert.deepEqual(decoded.frames[0]!.data, data);
  writeFileSync(path, full.subarray(0, full.length - 5));
  const repaired = await repairRecording(path);
  assert.ok(repaired.cut > 0);
  assert.equal(decodeBinary(readFileSync(path)).complete, true);
  assert.equal(decodeBinary(readFileSync(path)).frames.length, 2);
});

test('file sink: never overwrites a recording; an unwritable place fails at once (full disks: see test/recording-faults)', async () => {
  const sink = await FileSink.create(join(dir, 'x'));
  await sink.close();
  await assert.rejects(FileSink.create(join(dir, 'x')), /EEXIST/);
  await assert.rejects(FileSink.create(join(dir, 'no-such-dir', 'y')), /ENOENT/);
});

test('scp tracker: uploads with directories, split anywhere', () => {
  assert.deepEqual(scpMode('scp -t /tmp/x'), { op: 'write', path: '/tmp/x' });
  assert.deepEqual(scpMode('scp -r -f /srv'), { op: 'read', path: '/srv' });
  assert.equal(scpMode('ls -t'), undefined);
  const body = randomBytes(5000);
  const stream = Buffer.concat([Buffer.from('D0755 0 sub\nC0644 5000 f.bin\n'), body, Buffer.from([0]), Buffer.from('E\nC0644 0 empty\n'), Buffer.from([0])]);
  for (const step of [1, 7, 4096]) {
    const ops: FileOp[] = [];
    const t = new ScpTracker({ op: 'write', path: '/dst' }, (o) => ops.push(o));
    for (let i = 0; i < stream.length; i += step) t.data(stream.subarray(i, i + step));
    assert.deepEqual(ops.map((o) => [o.path, o.bytes]), [['/dst/sub/f.bin', 5000], ['/dst/empty', 0]]);
    assert.equal(ops[0]!.sha256, createHash('sha256').update(body).digest('hex'));
  }
});
