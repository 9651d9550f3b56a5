import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { KeyframeCache } from './keyframe-cache.js';
import { pathOfHead, pruneKeyframes } from './keyframe-prune.js';

const sha = (c: string) => c.repeat(64);

test('pathOfHead: the path a keyframe file names first, escapes read; none when it does not begin with one', () => {
  assert.equal(pathOfHead('{"version":1,"path":"/var/lib/fumidai/recordings/x\\"y.cast","time":{'), '/var/lib/fumidai/recordings/x"y.cast');
  assert.equal(pathOfHead('{"version":1,"time":{},"path":"/a"}'), undefined);
  assert.equal(pathOfHead('{"version":1,"path":"/cut sh'), undefined);
});

test('pruneKeyframes: kept while the recording is here or its bucket copy is cached; other files left alone', async () => {
  const dir = tempDir('kf-prune');
  const kf = join(dir, 'keyframes');
  const copies = join(dir, 'cache');
  mkdirSync(kf);
  mkdirSync(copies);
  const here = join(dir, 'here.cast');
  writeFileSync(here, '');
  writeFileSync(join(copies, `${sha('c')}.cast`), '');
  const put = (s: string, path?: string) => writeFileSync(join(kf, `${s}.json`), JSON.stringify({ version: 1, ...(path ? { path } : {}), time: {} }));
  put(sha('a'), here);
  put(sha('b'), join(dir, 'gone.cast'));
  put(sha('c'), join(dir, 'shipped-and-removed.cast'));
  put(sha('d'));
  writeFileSync(join(kf, 'notes.txt'), 'x');
  assert.equal(await pruneKeyframes(kf, [copies]), 2);
  assert.deepEqual([sha('a'), sha('b'), sha('c'), sha('d')].map((s) => existsSync(join(kf, `${s}.json`))), [true, false, true, false]);
  assert.ok(existsSync(join(kf, 'notes.txt')));
  assert.equal(await pruneKeyframes(join(dir, 'none')), 0, 'no folder yet');
});

test('KeyframeCache.prebuild: the index is written to its file with no view; a view meanwhile waits on the same build', async () => {
  const dir = tempDir('kf-prebuild');
  const path = join(dir, 'r.cast');
  const lines = [JSON.stringify({ version: 2, width: 20, height: 5, timestamp: 0, env: {} }), ...Array.from({ length: 50 }, (_, i) => JSON.stringify([i / 10, 'o', `line ${i}\r\n`]))];
  writeFileSync(path, lines.join('\n') + '\n');
  const size = (await stat(path)).size;
  const cache = new KeyframeCache({ dir: join(dir, 'kf') });
  try {
    const file = join(dir, 'kf', `${sha('e')}.json`);
    cache.prebuild({ path, sha256: sha('e'), size });
    const view = cache.of({ path, sha256: sha('e'), size });
    await view.snapshot(0);
    for (let i = 0; i < 50 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(pathOfHead(readFileSync(file, 'utf8')), path);
    assert.equal(view.status().done, true);
  } finally {
    await cache.close();
  }
});
