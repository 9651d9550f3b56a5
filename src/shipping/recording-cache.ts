// A recording as a local file, wherever it is kept: this node's own file while it is there, otherwise the copy shipped
// to the bucket (pruned here by retention, or made on another node: the object key comes from the path's last three
// parts, the layout every node ships with), fetched once into a bounded cache and checked
// against the sha256 the index sealed. A copy that does not match is never served: what an auditor replays is what
// was recorded, or nothing.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fail } from '../errors.js';
import type { BucketReader } from './bucket-reader.js';
import { AUDIT_KEY, recordingObjectKey } from './object-keys.js';

export interface CachedRecording {
  path: string;
  from: 'local' | 'bucket';
}

export interface RecordingCacheOptions {
  /** The bucket, when shipping is configured (undefined: only local files). */
  reader: () => Pick<BucketReader, 'open' | 'url' | 'location'> | undefined;
  cacheDir: string;
  /** Copies beyond this many bytes are removed, least recently used first. */
  maxBytes: number;
}

const SHA256 = /^[0-9a-f]{64}$/;
const RELATIVE = /^\d{8}\/[^/]+\/\d+-[a-z]+\.(cast|bin)$/;

export class RecordingCache {
  #o: RecordingCacheOptions;
  #fetching = new Map<string, Promise<string>>();

  constructor(options: RecordingCacheOptions) {
    this.#o = options;
  }

  /**
   * The file to read for a channel's recording; undefined when it is neither here nor (sealed) in a configured bucket.
   * A bucket copy that cannot be fetched or does not match its seal throws one line (BUCKET_UNAVAILABLE,
   * RECORDING_TAMPERED).
   */
  async localPath(ch: { recordingPath: string; sha256?: string }): Promise<CachedRecording | undefined> {
    if (await isFile(ch.recordingPath)) return { path: ch.recordingPath, from: 'local' };
    const reader = this.#o.reader();
    // Without a seal there is nothing to check a copy against, and an unsealed recording was never shipped whole.
    if (!reader || !ch.sha256 || !SHA256.test(ch.sha256)) return undefined;
    // The bucket's layout is the recording directory's (<day>/<audit key>/<file>), whichever node's directory it was.
    const rel = ch.recordingPath.split(/[\\/]/).slice(-3).join('/');
    if (!RELATIVE.test(rel) || !AUDIT_KEY.test(rel.split('/')[1]!)) return undefined;
    const key = recordingObjectKey(reader.location.prefix, rel);
    const cached = join(this.#o.cacheDir, `${ch.sha256}${ch.recordingPath.endsWith('.cast') ? '.cast' : '.bin'}`);
    if (await isFile(cached)) {
      const now = new Date();
      await utimes(cached, now, now).catch(() => undefined); // least recently used is pruned first
      return { path: cached, from: 'bucket' };
    }
    let pending = this.#fetching.get(cached);
    if (!pending) {
      pending = this.#fetch(reader, key, ch.sha256, cached).finally(() => this.#fetching.delete(cached));
      this.#fetching.set(cached, pending);
    }
    return { path: await pending, from: 'bucket' };
  }

  async #fetch(reader: NonNullable<ReturnType<RecordingCacheOptions['reader']>>, key: string, sha256: string, path: string): Promise<string> {
    await mkdir(this.#o.cacheDir, { recursive: true, mode: 0o700 });
    const part = `${path}.part`;
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(await reader.open(key), tap, createWriteStream(part, { mode: 0o600 }));
    } catch (err) {
      await rm(part, { force: true });
      const e = err as Error & { code?: string };
      if (e.code === 'BUCKET_UNAVAILABLE') throw err;
      throw fail('BUCKET_UNAVAILABLE', reader.url(key), e.message.split('\n')[0]!);
    }
    const got = hash.digest('hex');
    if (got !== sha256) {
      await rm(part, { force: true });
      throw fail('RECORDING_TAMPERED', reader.url(key), 'bucket', `does not match its sealed sha256 (${got.slice(0, 16)}… instead of ${sha256.slice(0, 16)}…)`);
    }
    await rename(part, path);
    await this.#prune(path);
    return path;
  }

  /** Keeps the cache under maxBytes, oldest use first; the copy just fetched stays even if it alone is larger. */
  async #prune(keep: string): Promise<void> {
    const files = await Promise.all(
      (await readdir(this.#o.cacheDir)).filter((n) => !n.endsWith('.part')).map(async (n) => {
        const p = join(this.#o.cacheDir, n);
        const s = await stat(p);
        return { p, size: s.size, used: s.mtimeMs };
      }),
    );
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files.sort((a, b) => a.used - b.used)) {
      if (total <= this.#o.maxBytes) break;
      if (f.p === keep) continue;
      await rm(f.p, { force: true });
      total -= f.size;
    }
  }
}

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);
