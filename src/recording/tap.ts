// A pass-through stream that records what flows by. The relay pipes through it; when the recording file falls behind,
// the tap holds the chunk back, so backpressure reaches the SSH window instead of growing a buffer.
import { Transform, type TransformCallback } from 'node:stream';

export interface TapTarget {
  full: boolean;
  drained(): Promise<void>;
}

export function createTap(sink: TapTarget, record: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      try {
        record(chunk);
      } catch (err) {
        return done(err as Error);
      }
      if (!sink.full) return done(null, chunk);
      sink.drained().then(() => done(null, chunk), (err: Error) => done(err));
    },
  });
}
