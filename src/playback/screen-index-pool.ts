// Screen text indexing off the relay's thread. Rebuilding a session's screens reads the whole recording and runs a
// terminal emulator over the tail of each burst, about 0.4 s of CPU after a 200 MB session: on the main thread that
// time is taken from every live session's relay. Here one worker thread takes sealed recordings one at a time (a
// queue: 2000 sessions ending at once do not start 2000 emulators), at a lower scheduling priority than the relay,
// and stops after a quiet spell, so an idle bastion holds no emulator.
import { Worker } from 'node:worker_threads';
import type { ScreenSnapshot } from './screen-index.js';

interface Job {
  path: string;
  resolve: (rows: ScreenSnapshot[]) => void;
  reject: (err: Error) => void;
}

export type WorkerReply = { rows: ScreenSnapshot[] } | { error: string };

export class ScreenIndexPool {
  #queue: Job[] = [];
  #worker: Worker | undefined;
  #busy: Job | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #idleMs: number;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: { idleMs?: number } = {}) {
    this.#idleMs = opts.idleMs ?? 60_000;
  }

  /** The screen snapshots of a sealed asciicast file. */
  snapshots(path: string): Promise<ScreenSnapshot[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ path, resolve, reject });
      this.#next();
    });
  }

  /** Resolves when every job queued so far is done (or failed). */
  idle(): Promise<void> {
    if (!this.#busy && !this.#queue.length) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** True while a worker thread is running (for tests). */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Stops the worker; queued jobs are rejected. */
  async close(): Promise<void> {
    for (const job of this.#queue.splice(0)) job.reject(new Error('screen indexing stopped'));
    await this.#stopWorker();
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #next(): void {
    if (this.#busy) return;
    const job = this.#queue.shift();
    if (!job) {
      for (const w of this.#idleWaiters.splice(0)) w();
      clearTimeout(this.#idleTimer);
      this.#idleTimer = setTimeout(() => void this.#stopWorker(), this.#idleMs).unref();
      return;
    }
    clearTimeout(this.#idleTimer);
    this.#busy = job;
    this.#ensureWorker().postMessage(job.path);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./screen-index-worker.js', import.meta.url));
    worker.unref(); // indexing never keeps the process alive
    worker.on('message', (reply: WorkerReply) => {
      const job = this.#busy;
      this.#busy = undefined;
      if ('rows' in reply) job?.resolve(reply.rows);
      else job?.reject(new Error(reply.error));
      this.#next();
    });
    // A worker that dies (out of memory, a bug in the emulator) fails its job; the next job starts a new one.
    const lost = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const job = this.#busy;
      this.#busy = undefined;
      job?.reject(new Error(`screen indexing worker ${why}`));
      this.#next();
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    this.#worker = worker;
    return worker;
  }

  async #stopWorker(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    this.#busy?.reject(new Error('screen indexing stopped'));
    this.#busy = undefined;
    await worker?.terminate();
  }
}
