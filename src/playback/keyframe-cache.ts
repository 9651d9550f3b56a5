// The replay index of each recording viewed (segment times and keyframe screens, keyframes.ts), built once in a
// worker thread and kept: in memory for the recordings viewed last (up to maxBytes), and for a sealed recording in a file named by its
// sha256 in `dir`, so a restart or another view does not run the emulator over a gigabyte again. Results are usable
// as they come: the segment times after the quick first pass, each keyframe as soon as the emulator reaches it.
// Two builds at a time at most; the others wait their turn. A recording just sealed can be indexed ahead of any view
// (prebuild): one such build at a time, only while no view's build runs, and a view of it moves it to the front.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { KeyframeMessage } from './keyframe-worker.js';
import type { Snapshot, TimeIndex } from './keyframes.js';

export interface ReplayStatus {
  /** Segment times known: the player can start. */
  scanned: boolean;
  segments: number;
  /** Keyframes known so far: segments up to this one can be played. */
  built: number;
  done: boolean;
  error?: string;
}

/** A live recording's index is built again once the file has grown this much past what was indexed. */
const REBUILD_GROWTH = 16 << 20;
const SIDECAR_VERSION = 1;

class Entry {
  time: TimeIndex | undefined;
  snapshots: Snapshot[] = [];
  done = false;
  error: string | undefined;
  #waiters: (() => void)[] = [];

  /** Memory held, roughly: the keyframe screens and the typed input. */
  bytes(): number {
    let n = this.time?.input.length ?? 0;
    for (const s of this.snapshots) n += s?.init.length ?? 0;
    return 2 * n;
  }

  status(): ReplayStatus {
    return { scanned: Boolean(this.time), segments: this.time?.segments.length ?? 0, built: this.snapshots.length, done: this.done, ...(this.error ? { error: this.error } : {}) };
  }

  /** Resolves once `ready()` holds; rejects if the build fails first. */
  async until<T>(ready: () => T | undefined): Promise<T> {
    for (;;) {
      const v = ready();
      if (v !== undefined) return v;
      if (this.error) throw new Error(this.error);
      if (this.done) throw new Error('not in the replay index');
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  take(m: KeyframeMessage): void {
    if ('time' in m) this.time = m.time;
    else if ('k' in m) this.snapshots[m.k] = m.snapshot;
    else if ('done' in m) this.done = true;
    else this.error = m.error;
    for (const w of this.#waiters.splice(0)) w();
  }
}

export interface Recording {
  path: string;
  /** Of a sealed recording: names its index file. */
  sha256?: string;
  /** The file's size now. */
  size: number;
}

export class KeyframeCache {
  #dir: string | undefined;
  #maxBytes: number;
  #entries = new Map<string, Entry>();
  #queue: (() => void)[] = [];
  #running = new Set<Worker>();
  /** Builds ahead of any view, by key, waiting for the views' builds to be done. */
  #background = new Map<string, () => void>();

  /** `maxBytes`: memory for finished indexes, the most recently used kept (those being built are always kept). */
  constructor(opts: { dir?: string; maxBytes?: number } = {}) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes ?? 64 << 20;
  }

  /** The index of a recording: from memory, from its file, or built now. */
  of(rec: Recording): { time: () => Promise<TimeIndex>; snapshot: (k: number) => Promise<Snapshot>; status: () => ReplayStatus } {
    const key = rec.sha256 ?? `path:${rec.path}`;
    let e = this.#entries.get(key);
    const stale = e && !rec.sha256 && e.done && e.time && rec.size - e.time.size > REBUILD_GROWTH;
    if (!e || stale || e.error) {
      e = this.#load(rec) ?? this.#build(rec);
      this.#entries.delete(key);
    }
    const waiting = this.#background.get(key);
    if (waiting) {
      this.#background.delete(key);
      this.#startOrQueue(waiting);
    }
    this.#entries.delete(key); // most recently used last
    this.#entries.set(key, e);
    this.#evict();
    const entry = e;
    return { time: () => entry.until(() => entry.time), snapshot: (k) => entry.until(() => entry.snapshots[k]), status: () => entry.status() };
  }

  /** Indexes a sealed recording ahead of any view (into its file), unless its index is known or under way already. */
  prebuild(rec: Recording & { sha256: string }): void {
    const file = this.#sidecar(rec.sha256);
    if (!file || this.#entries.has(rec.sha256) || existsSync(file)) return;
    const e = new Entry();
    this.#entries.set(rec.sha256, e); // a view meanwhile finds it, and moves its build to the front
    this.#background.set(rec.sha256, this.#starter(rec, e));
    this.#next();
  }

  async close(): Promise<void> {
    this.#queue = [];
    this.#background.clear();
    await Promise.all([...this.#running].map((w) => w.terminate()));
  }

  #sidecar(sha256: string): string | undefined {
    return this.#dir && /^[0-9a-f]{64}$/.test(sha256) ? join(this.#dir, `${sha256}.json`) : undefined;
  }

  #load(rec: Recording): Entry | undefined {
    const file = rec.sha256 && this.#sidecar(rec.sha256);
    if (!file) return undefined;
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { version: number; time: TimeIndex; snapshots: Snapshot[] };
      if (saved.version !== SIDECAR_VERSION || saved.time.size !== rec.size || saved.snapshots.length !== saved.time.segments.length) return undefined;
      const e = new Entry();
      e.time = saved.time;
      e.snapshots = saved.snapshots;
      e.done = true;
      return e;
    } catch {
      return undefined; // none yet, or unreadable: built again
    }
  }

  #build(rec: Recording): Entry {
    const e = new Entry();
    this.#startOrQueue(this.#starter(rec, e));
    return e;
  }

  #startOrQueue(start: () => void): void {
    if (this.#running.size < 2) start();
    else this.#queue.push(start);
  }

  /** What runs one build. */
  #starter(rec: Recording, e: Entry): () => void {
    return () => {
      const worker = new Worker(new URL('./keyframe-worker.js', import.meta.url), { workerData: { path: rec.path } });
      worker.unref();
      this.#running.add(worker);
      worker.on('message', (m: KeyframeMessage) => {
        e.take(m);
        if ('done' in m) this.#save(rec, e);
      });
      const ended = (why?: string) => {
        if (!this.#running.delete(worker)) return;
        if (!e.done && !e.error) e.take({ error: `replay indexing ${why ?? 'stopped'}` });
        this.#next();
      };
      worker.on('error', (err) => ended(`failed: ${err.message}`));
      worker.on('exit', (code) => ended(code === 0 ? undefined : `exited (${code})`));
    };
  }

  /** A view's build waiting goes first; a prebuild only when nothing else runs. */
  #next(): void {
    const view = this.#running.size < 2 ? this.#queue.shift() : undefined;
    if (view) return view();
    if (this.#running.size > 0 || this.#queue.length) return;
    const [key, start] = this.#background.entries().next().value ?? [];
    if (!key || !start) return;
    this.#background.delete(key);
    start();
  }

  #save(rec: Recording, e: Entry): void {
    const file = rec.sha256 && this.#sidecar(rec.sha256);
    if (!file || !e.time || e.time.size !== rec.size) return;
    try {
      mkdirSync(this.#dir!, { recursive: true, mode: 0o700 });
      // The recording's path first: pruning reads only the head of each file to know whether its recording is gone.
      writeFileSync(`${file}.tmp`, JSON.stringify({ version: SIDECAR_VERSION, path: rec.path, time: e.time, snapshots: e.snapshots }), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch {
      // the index stays in memory; the next start builds it again
    }
  }

  #evict(): void {
    let total = 0;
    for (const e of this.#entries.values()) total += e.bytes();
    for (const [key, e] of this.#entries) {
      if (total <= this.#maxBytes || this.#entries.size === 1) return;
      if (!e.done && !e.error) continue;
      total -= e.bytes();
      this.#entries.delete(key);
    }
  }
}
