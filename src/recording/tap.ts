// A pass-through stream that records what flows by. The relay pipes through it; when the recording file falls behind,
// the tap holds the chunk back, so backpressure reaches the SSH window instead of growing a buffer.
// What passes on is coalesced, as TCP's autocorking does, and recorded the moment it passes, piece by piece: the
// recording holds what the other side was sent, in the order and at the time it was sent, and a burst of terminal
// output becomes one event per piece instead of one per SSH packet (a 200 MB pty run: about 13k events, not 108k).
// The coalescing: the first chunk after a quiet spell leaves at the end of the current turn of
// the event loop (with whatever came in the same socket read), and while data keeps coming, what arrived leaves at most
// every COALESCE_MS, or as soon as BATCH_BYTES are there. A terminal's output reaches fumidai as SSH packets of
// 1 to 4 kB; each chunk that leaves costs a packet, its padding and encryption, twice with ProxyJump, and a socket
// write. A keystroke's echo, arriving after a quiet spell, is not delayed; output in a burst waits COALESCE_MS at most.
// Pieces stay a little under 32 KiB, so that with ProxyJump an inner packet (data and its 30-100 bytes of framing)
// still fits one packet of the outer channel instead of spilling 50 bytes into a second one.
import { Transform, type TransformCallback } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { PIECE_BYTES } from '../ssh/limits.js';

export interface TapTarget {
  full: boolean;
  drained(): Promise<void>;
}

export { PIECE_BYTES };
/**
 * While data keeps coming, what arrived is passed on at most this often. 4 ms, not 1: a 200 MB pty run then made 18k
 * socket writes instead of 29k and took about a tenth less CPU, and a burst's output waiting 4 ms is still far below
 * a screen refresh (16 ms).
 */
export const COALESCE_MS = 4;
/**
 * While data keeps coming, what arrived is passed on as soon as this much is there, in pieces of PIECE_BYTES, which the
 * connection's socket then writes in one system call. Four pieces, not one: a 200 MB pty run then made about a third
 * of the socket writes, each of which also wakes the client's `ssh` on loopback.
 */
export const BATCH_BYTES = 4 * PIECE_BYTES;

export function createTap(sink: TapTarget, record: (piece: Buffer) => void): Transform {
  let batch: Buffer[] = [];
  let bytes = 0;
  let scheduled = false;
  /** Set while waiting for the recording to drain: nothing passes meanwhile. */
  let gate: Promise<void> | undefined;
  /** The last write's callback, held back while the reader is behind or the recording is full. */
  let held: TransformCallback | undefined;

  let lastPassed = -Infinity;
  let timer: NodeJS.Timeout | undefined;

  const release = () => {
    const cb = held;
    held = undefined;
    cb?.();
  };
  /**
   * Records and passes on what is waiting, in pieces of PIECE_BYTES at most; the last piece too unless `keepRest`
   * (more is coming now). While the recording is full, nothing passes.
   */
  const passOn = (keepRest = false) => {
    scheduled = false;
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (gate || tap.destroyed) return;
    if (bytes > 0) {
      if (sink.full) return waitForRecording();
      const { pieces, rest } = coalesce(batch, keepRest);
      batch = rest;
      bytes = rest.reduce((n, c) => n + c.length, 0);
      try {
        for (const piece of pieces) record(piece);
      } catch (err) {
        tap.destroy(err as Error);
        return;
      }
      for (const piece of pieces) tap.push(piece);
      lastPassed = performance.now();
      if (sink.full) return waitForRecording();
    }
    if (tap.readableLength < tap.readableHighWaterMark) release(); // otherwise the reader is behind: read() releases it
  };
  /** Nothing passes (and the writer is held) until the recording has drained. */
  const waitForRecording = () => {
    gate = sink.drained().then(() => {
      gate = undefined;
      passOn();
    }, (err: Error) => void tap.destroy(err));
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    const wait = lastPassed + COALESCE_MS - performance.now();
    if (wait <= 0) queueMicrotask(passOn);
    else timer = setTimeout(passOn, wait).unref();
  };
  const tap = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      batch.push(chunk);
      bytes += chunk.length;
      if (bytes >= BATCH_BYTES) passOn(true);
      if (bytes) schedule();
      if (gate || tap.readableLength >= tap.readableHighWaterMark) held = done;
      else done();
    },
    flush(done: TransformCallback) {
      // What is left goes now, timer or not, once the recording has room for it.
      const finish = (): void => {
        if (tap.destroyed) return;
        passOn();
        if (gate) void gate.then(finish);
        else done();
      };
      if (gate) void gate.then(finish);
      else finish();
    },
    read(size: number) {
      if (!gate) release();
      Transform.prototype._read.call(this, size);
    },
    destroy(err: Error | null, cb: (err: Error | null) => void) {
      if (timer) clearTimeout(timer);
      cb(err);
    },
  });
  return tap;
}

/**
 * Groups chunks in order into pieces of PIECE_BYTES at most. Only small chunks are joined (a piece of several chunks
 * is a copy); a chunk that does not fit beside the others leaves on its own, as it is, so 32 KiB exec chunks are
 * never copied; one larger than PIECE_BYTES is cut into views. With `keepRest`, the last group stays behind (as
 * chunks, uncopied) when it is not yet a full piece.
 */
export function coalesce(chunks: Buffer[], keepRest = false): { pieces: Buffer[]; rest: Buffer[] } {
  const pieces: Buffer[] = [];
  let group: Buffer[] = [];
  let groupBytes = 0;
  const close = () => {
    if (group.length) pieces.push(group.length === 1 ? group[0]! : Buffer.concat(group, groupBytes));
    group = [];
    groupBytes = 0;
  };
  for (let chunk of chunks) {
    if (groupBytes + chunk.length > PIECE_BYTES) close();
    for (; chunk.length > PIECE_BYTES; chunk = chunk.subarray(PIECE_BYTES)) pieces.push(chunk.subarray(0, PIECE_BYTES));
    group.push(chunk);
    groupBytes += chunk.length;
  }
  if (keepRest && groupBytes < PIECE_BYTES) return { pieces, rest: group };
  close();
  return { pieces, rest: [] };
}
