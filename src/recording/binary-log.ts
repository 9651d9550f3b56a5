// Non-terminal channels (exec, sftp, legacy scp) carry binary data that asciicast cannot hold without bloating it:
// they are recorded as frames. File: the magic line, one JSON header line, then frames of
//   u32 milliseconds since start | u8 stream | u32 length | bytes
// stream 0 = client input (stdin), 1 = stdout, 2 = stderr, 3 = a JSON metadata record (e.g. the exit status).
import type { FileSink, Seal } from './file-sink.js';

export const MAGIC = 'FUMIDAI-REC-1\n';
export const STREAM = { stdin: 0, stdout: 1, stderr: 2, meta: 3 } as const;
export type StreamId = (typeof STREAM)[keyof typeof STREAM];

export class BinaryRecorder {
  readonly sink: FileSink;
  #start: number;

  constructor(sink: FileSink, header: Record<string, unknown>, startMs = Date.now()) {
    this.sink = sink;
    this.#start = startMs;
    sink.write(MAGIC + JSON.stringify(header) + '\n');
  }

  frame(stream: StreamId, chunk: Buffer): void {
    const head = Buffer.allocUnsafe(9);
    head.writeUInt32BE(Math.min(Date.now() - this.#start, 0xffffffff), 0);
    head.writeUInt8(stream, 4);
    head.writeUInt32BE(chunk.length, 5);
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

/** Decodes a binary recording; `complete` is false when it ends in a torn frame (the process was killed). */
export function decodeBinary(buf: Buffer): { header: Record<string, unknown>; frames: Frame[]; complete: boolean; validBytes: number } {
  if (!buf.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) throw new Error('not a fumidai binary recording');
  const nl = buf.indexOf(0x0a, MAGIC.length);
  if (nl === -1) throw new Error('binary recording has no header');
  const header = JSON.parse(buf.subarray(MAGIC.length, nl).toString('utf8')) as Record<string, unknown>;
  const frames: Frame[] = [];
  let p = nl + 1;
  while (p + 9 <= buf.length) {
    const len = buf.readUInt32BE(p + 5);
    if (p + 9 + len > buf.length) break;
    frames.push({ ms: buf.readUInt32BE(p), stream: buf.readUInt8(p + 4) as StreamId, data: buf.subarray(p + 9, p + 9 + len) });
    p += 9 + len;
  }
  return { header, frames, complete: p === buf.length, validBytes: p };
}
