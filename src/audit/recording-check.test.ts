import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sealedRecordings } from './recording-check.js';

test('the recordings to check: those RecordingSealed and RecordingInterrupted events name with a digest', () => {
  const line = (eventName: string, details: object) => JSON.stringify({ seq: 1, prev: '', eventName, sessionId: 'k', details });
  const text = [
    line('RecordingSealed', { channel: 1, path: '/r/01-shell.cast', sha256: 'aa', bytes: 10 }),
    line('RecordingInterrupted', { channel: 2, path: '/r/02-exec.bin', sha256: 'bb', bytes: 20, cut: 3 }),
    line('RecordingInterrupted', { channel: 3, path: '/r/03-exec.bin' }), // could not be repaired: no digest to check
    line('ChannelOpen', { channel: 4, path: '/r/04-exec.bin', sha256: 'cc' }),
    '{"eventName":"RecordingSealed", torn',
  ].join('\n');
  assert.deepEqual(sealedRecordings([{ name: 'd.jsonl', text }]), [
    { path: '/r/01-shell.cast', sha256: 'aa', bytes: 10, sessionId: 'k', channel: 1 },
    { path: '/r/02-exec.bin', sha256: 'bb', bytes: 20, sessionId: 'k', channel: 2 },
  ]);
});
