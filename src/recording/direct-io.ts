// Recording files written around the page cache (O_DIRECT). A recording is written once and read rarely, yet a
// buffered write puts every byte in a newly allocated cache page: on a virtual machine that hands free memory back to
// its host, each new page costs a fault, measured at 2.5–3.5 s of kernel time per GB written (0.2 s when pages are
// reused, 0.7 s through O_DIRECT including the copy below). Whole blocks go out directly from aligned staging memory.
// The last partial block waits in memory for the next append, and goes through the page cache only when the caller
// asks for the file to be complete (its timer flush, close): a cached tail under the next direct write makes the
// kernel write that page back and wait for it first, which cost a pty recording (a 256 KiB flush every 17 ms) more CPU
// than the direct writes saved. So a crash loses no more than with buffered writes: what the last second held.
// Off by default (recording.directIo): on a host where new pages came cheaper (a buffered GB: 0.8 s of kernel time,
// 0.26 s direct), the relay waited on the disk instead and 1 GB exec fell from 170 to 145 MB/s at the same CPU.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** The unit of direct writes: offsets and lengths are multiples of it (4 KiB covers 512-byte and 4K-sector disks). */
export const BLOCK = 4096;
const SLOT = 256 * 1024;
const SLOTS = 8;

/**
 * Staging buffers for direct writes, shared by all recordings: O_DIRECT needs page-aligned memory, which Node's
 * buffers do not promise and a WebAssembly memory (mapped at a page boundary) gives. Pages become resident only when
 * first used, so an idle bastion holds none; 8 slots are more than the 4 threads that run file writes can use.
 */
class StagingPool {
  #free: Buffer[];
  #waiters: ((slot: Buffer) => void)[] = [];

  constructor() {
    const memory = Buffer.from(new WebAssembly.Memory({ initial: (SLOT * SLOTS) / 65536 }).buffer);
    this.#free = Array.from({ length: SLOTS }, (_, i) => memory.subarray(i * SLOT, (i + 1) * SLOT));
  }

  acquire(): Promise<Buffer> {
    const slot = this.#free.pop();
    return slot ? Promise.resolve(slot) : new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(slot: Buffer): void {
    const next = this.#waiters.shift();
    if (next) next(slot);
    else this.#free.push(slot);
  }
}

let pool: StagingPool | undefined;
/** Set once a direct write was refused (EINVAL): the staging memory was not aligned after all. */
let refused = false;

/** Whether a direct write was refused in this process, after which every recording is written through the cache. */
export function directWritesRefused(): boolean {
  return refused;
}

/**
 * Appends to a file through a second, O_DIRECT handle. `open` returns undefined where the filesystem has no direct I/O
 * (tmpfs before Linux 6.6, some network filesystems, a platform without O_DIRECT): the caller writes through its own handle then.
 */
export class DirectAppender {
  readonly #direct: FileHandle;
  readonly #cached: FileHandle;
  /** The file's last partial block (its first `#tailLength` bytes), rewritten with the next block. */
  readonly #tail = Buffer.allocUnsafe(BLOCK);
  #tailLength = 0;
  /** Whether the tail is in the file too (written through the cache), or so far only here. */
  #tailInFile = true;

  private constructor(direct: FileHandle, cached: FileHandle) {
    this.#direct = direct;
    this.#cached = cached;
  }

  /** `cached` is the file's ordinary handle, for the partial last block; the file must be empty. */
  static async open(path: string, cached: FileHandle): Promise<DirectAppender | undefined> {
    if (refused || constants.O_DIRECT === undefined) return undefined;
    try {
      return new DirectAppender(await open(path, constants.O_WRONLY | constants.O_DIRECT), cached);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined; // a filesystem without direct I/O
      throw err;
    }
  }

  /**
   * Writes `pieces` (`bytes` in all) at `offset`, which must be where the previous append ended (0 at first). Unless
   * `complete`, a last partial block stays in memory; `complete` with no pieces writes out one held from before.
   */
  async append(pieces: readonly Buffer[], bytes: number, offset: number, complete: boolean): Promise<void> {
    if (bytes === 0) {
      if (complete && !this.#tailInFile) await this.#writeTail(offset - this.#tailLength);
      return;
    }
    pool ??= new StagingPool();
    const slot = await pool.acquire();
    try {
      let start = offset - this.#tailLength; // block-aligned
      let fill = this.#tail.copy(slot, 0, 0, this.#tailLength);
      let left = bytes;
      for (const piece of pieces) {
        let at = 0;
        while (at < piece.length && left > 0) {
          const n = piece.copy(slot, fill, at, at + Math.min(piece.length - at, left));
          fill += n;
          at += n;
          left -= n;
          if (fill === SLOT) {
            await this.#writeBlocks(slot, SLOT, start);
            start += SLOT;
            fill = 0;
          }
        }
      }
      const whole = fill - (fill % BLOCK);
      if (whole > 0) await this.#writeBlocks(slot, whole, start);
      this.#tailLength = slot.copy(this.#tail, 0, whole, fill);
      this.#tailInFile = this.#tailLength === 0;
      if (complete) await this.#writeTail(start + whole);
    } finally {
      pool.release(slot);
    }
  }

  async #writeTail(position: number): Promise<void> {
    if (this.#tailLength > 0) await writeFully(this.#cached, this.#tail, this.#tailLength, position);
    this.#tailInFile = true;
  }

  /** Whether a partial block waits in memory for the next append or a complete one. */
  get holding(): boolean {
    return !this.#tailInFile;
  }

  /** A direct write of whole blocks; what the disk takes only in part, or refuses as unaligned, goes through the cache. */
  async #writeBlocks(slot: Buffer, length: number, position: number): Promise<void> {
    let done = 0;
    if (!refused) {
      try {
        done = (await this.#direct.write(slot, 0, length, position)).bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
        refused = true;
      }
    }
    if (done < length) await writeFully(this.#cached, slot.subarray(done), length - done, position + done);
  }

  close(): Promise<void> {
    return this.#direct.close();
  }
}

async function writeFully(fh: FileHandle, data: Buffer, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const { bytesWritten } = await fh.write(data, done, length - done, position + done);
    if (bytesWritten === 0) throw nothingWritten();
    done += bytesWritten;
  }
}

/** A write that took no byte: an error, or a writer would loop forever. */
export function nothingWritten(): Error {
  return Object.assign(new Error('the recording file accepted no bytes'), { code: 'EIO' });
}
