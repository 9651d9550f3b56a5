// Reading a busy socket in fewer, larger reads. A target's terminal output arrives as SSH packets of about 4 kB, each
// in a TCP segment of its own; read as they came, every packet woke fumidai and cost a read(), a turn of the event
// loop and a pass through ssh2 and the recording tap (about 110k reads per 400 MB of pty output). In a burst of reads
// (begun by reads of BULK_BYTES or more, each within BURST_MS of the one before) slower than PACED_BELOW, the socket rests PACE_MS
// after each read, and the next read takes all that arrived meanwhile (the kernel holds it; TCP's window holds the
// sender back if it fills). A read after a quiet spell (a keystroke, its echo, the first screen of a burst) is never
// held back, and a flow fast enough to fill its reads is never slowed.
// Measured on 2 × 200 MB through a pty, alternating with the build without it: 33-49k reads instead of 140-160k,
// fumidai's CPU 6.5-7.3 s against 9.7-10.3 s, throughput the same or better; 1 GB through exec unchanged. Resting
// 2 ms instead of 1, with short reads kept in the burst, took another 3-10 % off (bench/HISTORY.md).
// The decision (ReadPacer) is pure and apart from the socket; paceReads() applies it. net.Socket has no public way to
// stop reading for a while (pause() keeps reading until its buffer is full), so this uses the handle's
// readStop()/readStart(), as net.Socket itself does, and leaves the socket alone where it has none.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** How long a busy socket rests between reads: within the 4 ms a burst's output waits in the recording tap anyway. */
export const PACE_MS = 2;
/** Reads smaller than this (keystrokes, echoes, window adjustments) do not begin a burst. */
export const BULK_BYTES = 2048;
/** A read this soon after the previous one is part of a burst. */
export const BURST_MS = 2;
/** A rest starts at the third read of a burst: a lone pair of packets is not a burst. */
const READS_BEFORE_REST = 3;
/**
 * Only a burst slower than this (bytes per millisecond) rests: a faster flow fills its reads by itself, and resting
 * it would cap it at the socket's receive buffer per rest (1 GB through exec fell from 170 to 46 MB/s when every
 * read rested). Terminal output runs at 10-20 MB/s, exec and scp at 100-200 MB/s.
 */
export const PACED_BELOW = 32 * 1024;
/** A read this large never rests: it filled the 64 kB libuv reads at most, so more was waiting. */
export const FULL_READ_BYTES = 64 * 1024;
/**
 * The rests themselves hold a flow back to at most its receive buffer per rest, and a buffer under 64 kB would keep
 * a fast flow that began slowly under PACED_BELOW for good. So a burst's rate is measured afresh every RATE_WINDOW_MS,
 * and the first PROBE_MS of each window read without rests (so that no single read decides): a flow that was held
 * back shows its real rate there and is not paced again while it keeps it; terminal output, which its producer paces,
 * goes back to resting. At terminal speed the probes add about 5 % to the reads.
 */
export const RATE_WINDOW_MS = 500;
export const PROBE_MS = 3;

/** Decides, read by read, whether a socket should rest after it. Pure: it is told every read's size and time. */
export class ReadPacer {
  #last = -Infinity;
  #burstReads = 0;
  #windowStart = 0;
  #windowBytes = 0;
  /** The first read after a rest belongs to the burst, however late the timer was (within reason). */
  #afterRest = false;

  /** Milliseconds to rest after this read; 0 to read on. */
  onRead(bytes: number, now: number): number {
    const gap = now - this.#last;
    // A burst begins with reads of BULK_BYTES or more; once begun, a short read in it (the target's sshd sends terminal
    // output as it comes, often under 2 kB) does not end it.
    const soon = gap < BURST_MS || (this.#afterRest && gap < 10 * BURST_MS);
    const inBurst = soon && (bytes >= BULK_BYTES || this.#burstReads > 0);
    this.#last = now;
    this.#afterRest = false;
    if (!inBurst) {
      this.#burstReads = 0;
      this.#windowStart = now;
      this.#windowBytes = 0;
      return 0;
    }
    this.#burstReads++;
    if (now - this.#windowStart >= RATE_WINDOW_MS) {
      // As at a burst's start, this read is not counted: it holds what gathered before the window.
      this.#windowStart = now;
      this.#windowBytes = 0;
    } else this.#windowBytes += bytes;
    const elapsed = now - this.#windowStart;
    if (this.#burstReads < READS_BEFORE_REST || bytes >= FULL_READ_BYTES || elapsed < PROBE_MS) return 0;
    return this.#windowBytes < PACED_BELOW * elapsed ? PACE_MS : 0;
  }

  /** The rest is over: the next read may come late and still be part of the burst. */
  restEnded(): void {
    this.#afterRest = true;
  }
}

/** The part of Node's stream handle (net.Socket's `_handle`) that net.Socket itself uses to stop and start reading. */
interface ReadHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

const handleOf = (sock: Socket): ReadHandle | undefined => {
  const handle = (sock as unknown as { _handle?: Partial<ReadHandle> | null })._handle;
  return handle && typeof handle.readStop === 'function' && typeof handle.readStart === 'function' ? (handle as ReadHandle) : undefined;
};

export function paceReads(sock: Socket): void {
  const pacer = new ReadPacer();
  let resting = false;
  sock.on('data', (data: Buffer) => {
    const rest = pacer.onRead(data.length, performance.now());
    if (resting || rest === 0) return;
    const handle = handleOf(sock);
    // `reading` stays true, so net.Socket does not start reading again on its own; it is false only where Node itself
    // stopped reading (its buffer is full), and then Node decides when to go on.
    if (!handle?.reading) return;
    resting = true;
    handle.readStop();
    setTimeout(() => {
      resting = false;
      const h = handleOf(sock);
      if (!h?.reading || sock.destroyed) return;
      pacer.restEnded();
      h.readStart();
    }, rest).unref();
  });
}
