// Non-terminal channels (exec, sftp, legacy scp) carry binary data that asciicast cannot hold without bloating it:
// they are recorded as frames. File: the magic line, one JSON header line (command, user, target...), then frames of
//   u32 milliseconds since start | u8 stream | u32 length | bytes          (big-endian)
// stream 0 = client input (stdin), 1 = stdout, 2 = stderr, 3 = a JSON metadata record (e.g. {"exit":0}).
// The writer never writes an empty frame and its clock never goes back, so the reader can tell a real frame from the
// zeros a crash may leave at the end of a file.
import { createReadStream } from 'node:fs';
import { stopwatch, type Clock } from './clock.js';
import type { FileSink, Seal } from './file-sink.js';

export const MAGIC = 'FUMIDAI-REC-1\n';
export const STREAM = { stdin: 0, stdout: 1, stderr: 2, meta: 3 } as const;
export type StreamId = (typeof STREAM)[keyof typeof STREAM];
const HEAD = 9;

export class BinaryRecorder {
  readonly sink: FileSink;
  #clock: Clock;

  constructor(sink: FileSink, header: Record<string, unknown>, clock: Clock = stopwatch()) {
    this.sink = sink;
    this.#clock = clock;
    sink.write(MAGIC + JSON.stringify(header) + '\n');
  }

  frame(stream: StreamId, chunk: Buffer): void {
    if (chunk.length === 0) return;
    const head = Buffer.allocUnsafe(HEAD);
    head.writeUInt32BE(Math.min(Math.floor(this.#clock()), 0xffffffff), 0);
    head.writeUInt8(stream, 4);
    head.writeUInt32BE(chunk.length, 5);
    // Two buffers, no copy here: the sink joins them once per flush. The chunk is not reused by ssh2 (checked).
    this.sink.write(head);
    this.sink.write(chunk);
  }

  meta(record: Record<string, unknown>): void {
    this.frame(STREAM.meta, Buffer.from(JSON.stringify(record)));
  }

  close(): Promise<Seal> {
    return this.sink.close();
  }
}

export interface Frame {
  ms: number;
  stream: StreamId;
  data: Buffer;
}

/** Incremental decoder: push the file's bytes in any pieces; `validBytes` counts those in the header and whole frames. */
export class FrameReader {
  header: Record<string, unknown> | undefined;
  validBytes = 0;
  /** Set when the bytes stop making sense (not a recording, or garbage after a crash); nothing after is decoded. */
  broken = false;
  #parts: Buffer[] = [];
  #size = 0;
  #lastMs = 0;

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    if (this.broken) return frames;
    this.#parts.push(chunk);
    this.#size += chunk.length;
    if (!this.header && !this.#readHeader()) return frames;
    while (this.#size >= HEAD) {
      const head = this.#peek(HEAD);
      const ms = head.readUInt32BE(0);
      const stream = head.readUInt8(4);
      const len = head.readUInt32BE(5);
      if (len === 0 || stream > STREAM.meta || ms < this.#lastMs) {
        this.broken = true;
        break;
      }
      if (this.#size < HEAD + len) break;
      const data = this.#take(HEAD + len).subarray(HEAD);
      this.#lastMs = ms;
      this.validBytes += HEAD + len;
      frames.push({ ms, stream: stream as StreamId, data });
    }
    return frames;
  }

  #readHeader(): boolean {
    const all = this.#peek(this.#size);
    if (all.length >= MAGIC.length && all.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
      this.broken = true;
      return false;
    }
    const nl = all.indexOf(0x0a, MAGIC.length);
    if (nl === -1) {
      if (all.length > 1 << 20) this.broken = true; // no header is that long
      return false;
    }
    try {
      this.header = JSON.parse(all.subarray(MAGIC.length, nl).toString('utf8')) as Record<string, unknown>;
    } catch {
      this.broken = true;
      return false;
    }
    this.#take(nl + 1);
    this.validBytes = nl + 1;
    return true;
  }

  /** The first n buffered bytes as one buffer (joined only when they span pieces). */
  #peek(n: number): Buffer {
    if (this.#parts[0]!.length < n) this.#parts = [Buffer.concat(this.#parts, this.#size)];
    return this.#parts[0]!.subarray(0, n);
  }

  #take(n: number): Buffer {
    const out = this.#peek(n);
    const rest = this.#parts[0]!.subarray(n);
    if (rest.length) this.#parts[0] = rest;
    else this.#parts.shift();
    this.#size -= n;
    return out;
  }
}

/** Decodes a whole binary recording; `complete` is false when it ends in a torn frame (the process was killed). */
export function decodeBinary(buf: Buffer): { header: Record<string, unknown>; frames: Frame[]; complete: boolean; validBytes: number } {
  const reader = new FrameReader();
  const frames = reader.push(buf);
  if (!reader.header) throw new Error('not a fumidai binary recording');
  return { header: reader.header, frames, complete: reader.validBytes === buf.length, validBytes: reader.validBytes };
}

export function isBinaryLog(start: Buffer): boolean {
  return start.subarray(0, MAGIC.length).toString('latin1') === MAGIC;
}

/** Frames of a recording file, read piece by piece so a recording of hundreds of MB never sits in memory. */
export async function* readFrames(path: string): AsyncGenerator<Frame, { header?: Record<string, unknown>; complete: boolean }> {
  const reader = new FrameReader();
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    size += (chunk as Buffer).length;
    yield* reader.push(chunk as Buffer);
    if (reader.broken) break;
  }
  if (!reader.header) throw new Error('not a fumidai binary recording');
  return { header: reader.header, complete: reader.validBytes === size };
}
