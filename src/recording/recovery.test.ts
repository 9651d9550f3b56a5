import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder, parseCast } from './asciicast.js';
import { BinaryRecorder, decodeBinary, STREAM } from './binary-log.js';
import { FileSink } from './file-sink.js';
import { recoverUnsealed, repairRecording, type Recovered } from './recovery.js';
import type { ChannelRecord } from '../store/store.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-recover-');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const header = { width: 80, height: 24, timestamp: 0, title: 'k', env: {}, fumidai: { auditKey: 'k', user: 'u', target: 't', login: 'l', channel: 0 } };

async function cast(name: string): Promise<{ path: string; good: Buffer }> {
  const path = join(dir, name);
  const rec = new AsciicastRecorder(await FileSink.create(path), header, true);
  rec.output(Buffer.from('line one\r\n'));
  rec.output(Buffer.from('line two ✓\r\n'));
  await rec.close();
  return { path, good: readFileSync(path) };
}

test('recovery: a torn last line is cut (and kept aside); the file then plays in asciinema', async (t) => {
  const { path, good } = await cast('torn.cast');
  appendFileSync(path, '[1.234, "o", "line thr');
  const r = await repairRecording(path);
  assert.deepEqual(readFileSync(path), good);
  assert.deepEqual(r, { bytes: good.length, sha256: sha(good), cut: 22, tornPath: `${path}.torn` });
  assert.equal(readFileSync(`${path}.torn`, 'utf8'), '[1.234, "o", "line thr');
  if (!existsSync('/usr/bin/asciinema') || !existsSync('/usr/bin/script')) return t.skip('asciinema or script(1) is not installed');
  const shown = execFileSync('script', ['-qec', `asciinema cat ${path}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  assert.equal(shown.toString(), 'line one\r\nline two ✓\r\n');
});

test('recovery: zeros left by a crash are cut, in asciicast and binary logs alike', async () => {
  const { path, good } = await cast('zeros.cast');
  appendFileSync(path, Buffer.concat([Buffer.alloc(100), Buffer.from('\n')]));
  assert.equal((await repairRecording(path)).bytes, good.length);
  assert.equal(parseCast(readFileSync(path, 'utf8')).events.length, 2);

  const bin = join(dir, 'zeros.bin');
  const rec = new BinaryRecorder(await FileSink.create(bin), { kind: 'exec' });
  rec.frame(STREAM.stdout, Buffer.from('out'));
  await rec.close();
  const whole = readFileSync(bin);
  appendFileSync(bin, Buffer.alloc(8192));
  const r = await repairRecording(bin);
  assert.deepEqual([r.bytes, r.cut, r.sha256], [whole.length, 8192, sha(whole)]);
  assert.equal(decodeBinary(readFileSync(bin)).complete, true);
});

test('recovery: a torn binary frame is cut; an intact file is left alone', async () => {
  const bin = join(dir, 'torn.bin');
  const rec = new BinaryRecorder(await FileSink.create(bin), { kind: 'exec' });
  rec.frame(STREAM.stdout, Buffer.alloc(1000, 1));
  rec.frame(STREAM.stderr, Buffer.alloc(1000, 2));
  await rec.close();
  const full = readFileSync(bin);
  writeFileSync(bin, full.subarray(0, full.length - 5));
  const r = await repairRecording(bin);
  assert.equal(r.cut, 1009 - 5);
  assert.equal(decodeBinary(readFileSync(bin)).frames.length, 1);
  const again = await repairRecording(bin);
  assert.deepEqual([again.cut, again.tornPath], [0, undefined]);
});

test('recovery: a file with no readable header is reported, not emptied', async () => {
  const path = join(dir, 'junk.cast');
  writeFileSync(path, 'garbage\n');
  await assert.rejects(repairRecording(path), /no readable header/);
  assert.equal(readFileSync(path, 'utf8'), 'garbage\n');
});

test('recovery of unsealed channels: the report comes before the seal; a failed report leaves the channel for the next start', async () => {
  const { path, good } = await cast('unsealed.cast');
  const torn = '[9.9, "o", "cut sh';
  appendFileSync(path, torn);
  const junk = join(dir, 'unsealed-junk.cast');
  writeFileSync(junk, 'garbage\n');
  const live = (channel: number, recordingPath: string): ChannelRecord =>
    ({ auditKey: 'k', channel, kind: 'shell', recordingPath, startedAt: '', bytesIn: 1, bytesOut: 2, state: 'live' });
  const steps: string[] = [];
  const sealed: Record<number, Record<string, unknown>> = {};
  const store = {
    unsealedChannels: async () => [live(1, path), live(2, junk)].filter((c) => !sealed[c.channel]),
    sealChannel: async (_k: string, channel: number, f: Record<string, unknown>) => {
      steps.push(`seal ${channel}`);
      sealed[channel] = f;
    },
  };
  const refused = await recoverUnsealed(store, async (r) => {
    steps.push(`report ${r.channel}`);
    throw new Error('EIO');
  });
  assert.deepEqual(steps, ['report 1', 'report 2']);
  assert.deepEqual(refused.map((r) => [r.unreported, r.cut]), [['EIO', torn.length], ['EIO', 0]]);
  assert.deepEqual(sealed, {});
  steps.length = 0;
  const reported: Recovered[] = [];
  const done = await recoverUnsealed(store, async (r) => {
    steps.push(`report ${r.channel}`);
    reported.push(r);
  });
  assert.deepEqual(steps, ['report 1', 'seal 1', 'report 2', 'seal 2']);
  // The first attempt's cut is reported again, not lost: the file was already repaired then.
  assert.deepEqual(reported[0], { auditKey: 'k', channel: 1, path, bytes: good.length, sha256: sha(good), cut: torn.length, tornPath: `${path}.torn` });
  assert.deepEqual([reported[1]!.error, reported[1]!.sha256], ['no readable header: not a recording, or nothing of it reached the disk', undefined]);
  assert.deepEqual(done, reported);
  assert.deepEqual(sealed, { 1: { endedAt: sealed[1]!.endedAt, bytesIn: 1, bytesOut: 2, sha256: sha(good), recordingBytes: good.length, state: 'interrupted' }, 2: { bytesIn: 1, bytesOut: 2, state: 'failed' } });
});
