// An append-only recording file: buffers small writes in memory and flushes at least every second (or sooner when the
// buffer grows), so a killed process loses at most about a second. Hashes what it writes, so sealing costs no re-read.
// Backpressure: `full` tells the relay to wait for `drained()`; a write error is kept and surfaces on every call after.
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { DirectAppender, directWritesRefused, nothingWritten } from './direct-io.js';

/** Pieces per gathered write (Linux's IOV_MAX). */
const MAX_IOV = 1024;

/** The pieces left after the first `n` bytes (a piece cut in two keeps its tail). */
export function piecesAfter(pieces: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < pieces.length && n >= pieces[i]!.length) n -= pieces[i++]!.length;
  if (i === pieces.length) return [];
  return n === 0 ? pieces.slice(i) : [pieces[i]!.subarray(n), ...pieces.slice(i + 1)];
}

/**
 * Pieces that lie one after the other in the same memory as one view each: a busy terminal's event lines are
 * consecutive views of the line arena (line-arena.ts), so a flush of hundreds of lines hashes and writes as a few.
 */
export function joinAdjacent(pieces: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < pieces.length; ) {
    const first = pieces[i]!;
    let end = first.byteOffset + first.length;
    let j = i + 1;
    for (; j < pieces.length && pieces[j]!.buffer === first.buffer && pieces[j]!.byteOffset === end; j++) end += pieces[j]!.length;
    out.push(j === i + 1 ? first : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset));
    i = j;
  }
  return out;
}

export interface SinkOptions {
  /** Longest time a write waits in memory: what a SIGKILL can lose. */
  flushMs?: number;
  /** Buffered bytes that start a write at once. */
  flushBytes?: number;
  /** Buffered bytes above which `full` asks the producer to wait. */
  highWater?: number;
  /** Open flags; 'wx' (the default) never replaces an existing file. Tests use 'w' on /dev/full. */
  flags?: 'wx' | 'w' | 'a';
  /** Write whole blocks around the page cache where the filesystem allows it (direct-io.ts); new files only; off by default. */
  direct?: boolean;
}

export interface Seal {
  path: string;
  bytes: number;
  sha256: string;
}

export class FileSink {
  readonly path: string;
  #fh: FileHandle;
  #direct: DirectAppender | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;
  /** Bytes handed to write() so far. */
  #accepted = 0;
  #hash: Hash = createHash('sha256');
  #flushing: Promise<void> | undefined;
  #followUp: Promise<void> | undefined;
  /** Whether the follow-up flush must leave the file complete (some caller of it asked for that). */
  #followUpComplete = false;
  #timer: NodeJS.Timeout;
  #error: Error | undefined;
  #waiters: (() => void)[] = [];
  #flushBytes: number;
  #highWater: number;
  /** Called once, with the first write error; the error also rejects drained(), flush() callers and close(). */
  onError: (err: Error) => void = () => undefined;

  private constructor(path: string, fh: FileHandle, direct: DirectAppender | undefined, o: SinkOptions) {
    this.path = path;
    this.#fh = fh;
    this.#direct = direct;
    this.#flushBytes = o.flushBytes ?? 256 * 1024;
    this.#highWater = o.highWater ?? 1024 * 1024;
    this.#timer = setInterval(() => void this.flush(), o.flushMs ?? 1000);
    this.#timer.unref();
  }

  /** Creates the file; fails (never overwrites) if it exists, so a recording cannot be replaced by another. */
  static async create(path: string, options: SinkOptions = {}): Promise<FileSink> {
    const flags = options.flags ?? 'wx';
    const fh = await open(path, flags, 0o600);
    try {
      const direct = flags === 'wx' && options.direct === true ? await DirectAppender.open(path, fh) : undefined;
      return new FileSink(path, fh, direct, options);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** Whether whole blocks bypass the page cache (false on tmpfs, or where direct writes were refused). */
  get direct(): boolean {
    return this.#direct !== undefined && !directWritesRefused();
  }

  /** Bytes handed to the file so far (a direct sink may still hold the last partial block of them; flush() writes it). */
  get written(): number {
    return this.#written;
  }

  /** Bytes handed to write() so far: written, in flight or buffered (a flush() makes them all written). */
  get accepted(): number {
    return this.#accepted;
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
    this.#accepted += buf.length;
    if (this.#pendingBytes >= this.#flushBytes) void this.#flush(false);
  }

  drained(): Promise<void> {
    if (!this.full || this.#error) return this.#error ? Promise.reject(this.#error) : Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push(() => (this.#error ? reject(this.#error) : resolve())));
  }

  /** Writes out everything buffered, so the file holds all that was written; one flush at a time, in order. */
  flush(): Promise<void> {
    return this.#flush(true);
  }

  /** `complete` false (a flush started by the buffer's size) lets a direct sink keep a partial block for the next one. */
  #flush(complete: boolean): Promise<void> {
    // While a write is in flight, every caller shares one follow-up flush, which takes whatever is buffered by then and
    // settles when that is written (close() must not go on while it is in flight). One shared follow-up, not one per
    // caller: each write() of a busy relay calls flush(), and a chain per call re-ran all of them after every write.
    if (this.#flushing) {
      this.#followUpComplete ||= complete;
      this.#followUp ??= this.#flushing.then(() => {
        const c = this.#followUpComplete;
        this.#followUp = undefined;
        this.#followUpComplete = false;
        return this.#flush(c);
      });
      return this.#followUp;
    }
    if (this.#error || (this.#pendingBytes === 0 && !(complete && this.#direct?.holding))) return Promise.resolve();
    // The buffered pieces go out as they are, in one gathered write (copying them into one new buffer cost a fifth of
    // what drove the garbage collector through exec); only views already adjacent in memory are joined, without a copy.
    const pieces = joinAdjacent(this.#pending);
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushing = this.#writeAll(pieces, bytes, complete)
      .then(() => {
        for (const p of pieces) this.#hash.update(p);
        this.#written += bytes;
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

  async #writeAll(pieces: Buffer[], bytes: number, complete: boolean): Promise<void> {
    if (this.#direct) return this.#direct.append(pieces, bytes, this.#written, complete);
    let done = 0;
    let rest = pieces;
    while (done < bytes) {
      const { bytesWritten } = await this.#fh.writev(rest.length > MAX_IOV ? rest.slice(0, MAX_IOV) : rest, this.#written + done);
      if (bytesWritten === 0) throw nothingWritten();
      done += bytesWritten;
      rest = piecesAfter(rest, bytesWritten);
    }
  }

  /** Flushes, fsyncs and closes; returns the seal (size and sha256 of the file). */
  async close(): Promise<Seal> {
    clearInterval(this.#timer);
    await this.flush();
    try {
      if (!this.#error) await this.#fh.sync();
    } finally {
      try {
        await this.#direct?.close();
      } finally {
        await this.#fh.close();
      }
    }
    if (this.#error) throw this.#error;
    return { path: this.path, bytes: this.#written, sha256: this.#hash.digest('hex') };
  }
}
