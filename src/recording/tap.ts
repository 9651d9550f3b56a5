// A pass-through stream that records what flows by. The relay pipes through it; when the recording file falls behind,
// the tap holds the chunk back, so backpressure reaches the SSH window instead of growing a buffer.
// Every chunk is recorded as it arrives (the recording keeps its events and their order), but what passes on is
// coalesced: the chunks that arrive in one turn of the event loop (a socket read holds many SSH packets of a few
// hundred bytes to 4 kB from a terminal) leave as one, up to COALESCE_BYTES. Each chunk that leaves costs a packet,
// its padding, its encryption and a socket write on every hop after fumidai; coalescing adds no wait, since nothing
// is held past the current turn.
import { Transform, type TransformCallback } from 'node:stream';

export interface TapTarget {
  full: boolean;
  drained(): Promise<void>;
}

/** Chunks are passed on as soon as this many bytes are waiting (one full SSH packet of OpenSSH's client). */
export const COALESCE_BYTES = 32 * 1024;

export function createTap(sink: TapTarget, record: (chunk: Buffer) => void): Transform {
  let batch: Buffer[] = [];
  let bytes = 0;
  let scheduled = false;
  /** Set while waiting for the recording to drain: nothing passes meanwhile. */
  let gate: Promise<void> | undefined;
  /** The last write's callback, held back while the reader is behind or the recording is full. */
  let held: TransformCallback | undefined;

  const release = () => {
    const cb = held;
    held = undefined;
    cb?.();
  };
  const passOn = () => {
    scheduled = false;
    if (gate || bytes === 0) return;
    const data = batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes);
    batch = [];
    bytes = 0;
    if (tap.push(data)) release(); // otherwise the reader is behind: read() releases it
  };
  const tap = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      try {
        record(chunk);
      } catch (err) {
        return done(err as Error);
      }
      batch.push(chunk);
      bytes += chunk.length;
      if (sink.full) {
        held = done;
        gate = sink.drained().then(() => {
          gate = undefined;
          passOn();
        }, (err: Error) => void tap.destroy(err));
        return;
      }
      if (bytes >= COALESCE_BYTES) passOn();
      else if (!scheduled) {
        scheduled = true;
        queueMicrotask(passOn);
      }
      if (tap.readableLength >= tap.readableHighWaterMark) held = done;
      else done();
    },
    flush(done: TransformCallback) {
      passOn(); // every write callback has run, so no gate is open: what is left goes now
      done();
    },
    read(size: number) {
      if (!gate) release();
      Transform.prototype._read.call(this, size);
    },
  });
  return tap;
}
