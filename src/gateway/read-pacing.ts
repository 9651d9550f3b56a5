// Reading a busy socket in fewer, larger reads. A target's terminal output arrives as SSH packets of about 4 kB, each
// in a TCP segment of its own; read as they came, every packet woke fumidai and cost a read(), a turn of the event
// loop and a pass through ssh2 and the recording tap (about 110k reads per 400 MB of pty output). In a burst of reads
// (each of BULK_BYTES or more, within BURST_MS of the one before) slower than PACED_BELOW, the socket rests PACE_MS
// after each read, and the next read takes all that arrived meanwhile (the kernel holds it; TCP's window holds the
// sender back if it fills). A read after a quiet spell (a keystroke, its echo, the first screen of a burst) is never
// held back, and a flow fast enough to fill its reads is never slowed.
// Measured on 2 × 200 MB through a pty, alternating with the build without it: 33-49k reads instead of 140-160k,
// fumidai's CPU 6.5-7.3 s against 9.7-10.3 s, throughput the same or better; 1 GB through exec unchanged.
// net.Socket has no public way to stop reading for a while (pause() keeps reading until its buffer is full), so this
// uses the handle's readStop()/readStart(), as net.Socket itself does, and leaves the socket alone where it has none.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** How long a busy socket rests between reads: within the 4 ms a burst's output waits in the recording tap anyway. */
export const PACE_MS = 1;
/** Reads smaller than this (keystrokes, echoes, window adjustments) are not part of a burst. */
export const BULK_BYTES = 2048;
/** A read this soon after the previous one is part of a burst. */
export const BURST_MS = 2;
/** A rest starts at the third read of a burst: a lone pair of packets is not a burst. */
const READS_BEFORE_REST = 3;
/**
 * Only a burst slower than this (bytes per millisecond, averaged since it began) rests: a faster flow fills its reads
 * by itself, and resting it would cap it at the socket's receive buffer per rest (1 GB through exec fell from 170 to
 * 46 MB/s when every read rested). Terminal output runs at 10-20 MB/s, exec and scp at 100-200 MB/s.
 */
export const PACED_BELOW = 32 * 1024;

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
  let last = -Infinity;
  let burstStart = 0;
  let burstReads = 0;
  let burstBytes = 0;
  let resting = false;
  /** The first read after a rest belongs to the burst, however late the timer was (within reason). */
  let afterRest = false;
  sock.on('data', (data: Buffer) => {
    const now = performance.now();
    const gap = now - last;
    if (data.length >= BULK_BYTES && (gap < BURST_MS || (afterRest && gap < 10 * BURST_MS))) {
      burstReads++;
      burstBytes += data.length;
    } else {
      burstStart = now;
      burstReads = 0;
      burstBytes = 0;
    }
    last = now;
    afterRest = false;
    if (resting || burstReads < READS_BEFORE_REST || burstBytes >= PACED_BELOW * (now - burstStart)) return;
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
      afterRest = true;
      h.readStart();
    }, PACE_MS).unref();
  });
}
