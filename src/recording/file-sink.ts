// An append-only recording file: buffers small writes in memory and flushes at least every second (or sooner when the
// buffer grows), so a killed process loses at most about a second. Hashes what it writes, so sealing costs no re-read.
// Backpressure: `full` tells the relay to wait for `drained()`; a write error is kept and surfaces on every call after.
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

export interface SinkOptions {
  /** Longest time a write waits in memory: what a SIGKILL can lose. */
  flushMs?: number;
  /** Buffered bytes that start a write at once. */
  flushBytes?: number;
  /** Buffered bytes above which `full` asks the producer to wait. */
  highWater?: number;
  /** Open flags; 'wx' (the default) never replaces an existing file. Tests use 'w' on /dev/full. */
  flags?: 'wx' | 'w' | 'a';
}

export interface Seal {
  path: string;
  bytes: number;
  sha256: string;
}

export class FileSink {
  readonly path: string;
  #fh: FileHandle;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  #hash: Hash = createHash('sha256');
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout;
  #error: Error | undefined;
  #waiters: (() => void)[] = [];
  #flushBytes: number;
  #highWater: number;
  /** Called once, with the first write error; the error also rejects drained(), flush() callers and close(). */
  onError: (err: Error) => void = () => undefined;

  private constructor(path: string, fh: FileHandle, o: SinkOptions) {
    this.path = path;
    this.#fh = fh;
    this.#flushBytes = o.flushBytes ?? 256 * 1024;
    this.#highWater = o.highWater ?? 1024 * 1024;
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 1000);
    this.#timer.unref();
  }

  /** Creates the file; fails (never overwrites) if it exists, so a recording cannot be replaced by another. */
  static async create(path: string, options: SinkOptions = {}): Promise<FileSink> {
    return new FileSink(path, await open(path, options.flags ?? 'wx', 0o640), options);
  }

  /** Bytes written to the file so far. */
  get written(): number {
    return this.#written;
  }

  get error(): Error | undefined {
    return this.#error;
  }

  /** Bytes waiting in memory (not counting a write in flight). */
  get buffered(): number {
    return this.#pendingBytes;
  }

  /** True while the unflushed buffer is above the high-water mark: the producer should wait for drained(). */
  get full(): boolean {
    return this.#pendingBytes >= this.#highWater;
  }

  write(data: Buffer | string): void {
    if (this.#error) throw this.#error;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    if (this.#pendingBytes >= this.#flushBytes) void this.flush();
  }

  drained(): Promise<void> {
    if (!this.full || this.#error) return this.#error ? Promise.reject(this.#error) : Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push(() => (this.#error ? reject(this.#error) : resolve())));
  }

  /** Writes out what is buffered; one flush at a time, in order. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => (this.#pendingBytes ? this.flush() : undefined));
    if (this.#pendingBytes === 0 || this.#error) return Promise.resolve();
    const chunk = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushing = this.#writeAll(chunk)
      .then(() => {
        this.#hash.update(chunk);
        this.#written += chunk.length;
      })
      .catch((err: Error) => {
        if (this.#error) return;
        this.#error = err;
        this.#pending = []; // nothing more will be written: do not hold the bytes
        this.#pendingBytes = 0;
        try {
          this.onError(err);
        } catch {
          // a failing listener must not turn a reported write error into an unhandled rejection
        }
      })
      .finally(() => {
        this.#flushing = undefined;
        const waiters = this.#waiters.splice(0);
        for (const w of waiters) w();
      });
    return this.#flushing;
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.#fh.write(chunk, offset, chunk.length - offset, this.#written + offset);
      if (bytesWritten === 0) throw Object.assign(new Error('the recording file accepted no bytes'), { code: 'EIO' });
      offset += bytesWritten;
    }
  }

  /** Flushes, fsyncs and closes; returns the seal (size and sha256 of the file). */
  async close(): Promise<Seal> {
    clearInterval(this.#timer);
    await this.flush();
    try {
      if (!this.#error) await this.#fh.sync();
    } finally {
      await this.#fh.close();
    }
    if (this.#error) throw this.#error;
    return { path: this.path, bytes: this.#written, sha256: this.#hash.digest('hex') };
  }
}
