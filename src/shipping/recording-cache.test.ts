import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RecordingCache } from './recording-cache.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('recording cache: the local file first; else the bucket copy, fetched once, checked against the seal, bounded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-rcache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const recordingDir = join(dir, 'recordings');
  mkdirSync(join(recordingDir, '20261205'), { recursive: true });
  const objects = new Map<string, Buffer>();
  const opened: string[] = [];
  const reader = {
    location: { bucket: 'b', prefix: 'p/', region: 'r' },
    url: (key = '') => `s3://b/${key}`,
    open: async (key: string) => {
      opened.push(key);
      const body = objects.get(key);
      if (!body) throw Object.assign(new Error('cannot read s3://b/x: NoSuchKey'), { code: 'BUCKET_UNAVAILABLE' });
      return Readable.from([body.subarray(0, 3), body.subarray(3)]);
    },
  };
  let withBucket = true;
  const cache = new RecordingCache({ reader: () => (withBucket ? reader : undefined), cacheDir: join(dir, 'cache'), maxBytes: 20 });

  const local = join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b', '01-shell.cast');
  mkdirSync(join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b'), { recursive: true });
  writeFileSync(local, 'here');
  assert.deepEqual(await cache.localPath({ recordingPath: local, sha256: sha(Buffer.from('here')) }), { path: local, from: 'local' });

  const body = Buffer.from('0123456789ab');
  const gone = join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b', '02-shell.cast');
  objects.set('p/recordings/20261205/20261205T120000Z-alice-0a1b/02-shell.cast', body);
  const [a, b] = await Promise.all([cache.localPath({ recordingPath: gone, sha256: sha(body) }), cache.localPath({ recordingPath: gone, sha256: sha(body) })]);
  assert.equal(a!.from, 'bucket');
  assert.equal(a!.path, b!.path);
  assert.deepEqual(readFileSync(a!.path), body);
  assert.equal(opened.length, 1, 'two viewers at once: one fetch');
  await cache.localPath({ recordingPath: gone, sha256: sha(body) });
  assert.equal(opened.length, 1, 'a cached copy is not fetched again');

  // A changed object is refused and leaves nothing behind.
  const other = join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b', '03-shell.cast');
  objects.set('p/recordings/20261205/20261205T120000Z-alice-0a1b/03-shell.cast', Buffer.from('changed!'));
  await assert.rejects(cache.localPath({ recordingPath: other, sha256: sha(Buffer.from('original')) }), (err: Error) => /RECORDING_TAMPERED|does not match its sealed sha256/.test(`${(err as { code?: string }).code} ${err.message}`));
  assert.deepEqual(readdirSync(join(dir, 'cache')).filter((n) => n.includes(sha(Buffer.from('original')))), []);

  // A missing object is one line; no seal, no bucket or a path outside the recording directory: nothing to serve.
  await assert.rejects(cache.localPath({ recordingPath: join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b', '04-shell.cast'), sha256: sha(Buffer.from('x')) }), /NoSuchKey/);
  assert.equal(await cache.localPath({ recordingPath: join(recordingDir, 'x.cast') }), undefined);
  assert.equal(await cache.localPath({ recordingPath: join(dir, 'elsewhere.cast'), sha256: sha(body) }), undefined);
  // Another node's path (its own recording directory) finds the same object.
  const elsewhere = await cache.localPath({ recordingPath: join('/srv/node-b/recordings', '20261205', '20261205T120000Z-alice-0a1b', '02-shell.cast'), sha256: sha(body) });
  assert.equal(elsewhere!.from, 'bucket');
  withBucket = false;
  assert.equal(await cache.localPath({ recordingPath: join(recordingDir, 'y.cast'), sha256: sha(body) }), undefined);
  withBucket = true;

  // Past maxBytes (20), the least recently used copy goes.
  const second = Buffer.from('abcdefghijkl');
  objects.set('p/recordings/20261205/20261205T120000Z-alice-0a1b/05-shell.cast', second);
  await new Promise((r) => setTimeout(r, 20));
  const s = await cache.localPath({ recordingPath: join(recordingDir, '20261205', '20261205T120000Z-alice-0a1b', '05-shell.cast'), sha256: sha(second) });
  assert.ok(existsSync(s!.path));
  assert.equal(existsSync(a!.path), false, 'the older copy was pruned');
});
