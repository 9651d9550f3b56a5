// Timed playback of a recording: what the user saw, at the speed it happened (or faster, with long pauses cut).
// Recordings are decoded as their bytes arrive, from a file or a bucket object alike: none is held whole in memory.
import { createReadStream } from 'node:fs';
import { isCastHeader, parseEventLine, type CastEvent } from '../recording/asciicast.js';
import { FrameReader, MAGIC, STREAM } from '../recording/binary-log.js';

export interface ReplayOptions {
  speed: number;
  /** Longest pause kept, in seconds (like asciinema's --idle-time-limit). */
  idleLimit?: number;
  /** Print everything at once. */
  noWait: boolean;
}

export interface Timed {
  time: number;
  data: Buffer;
  stream: 'stdout' | 'stderr';
}

/** What a recording file showed, with time offsets in seconds; terminal and binary recordings alike. */
export function outputOf(path: string): AsyncGenerator<Timed> {
  return timedOutput(createReadStream(path));
}

/**
 * What a recording showed, from its bytes in any pieces: stdout and stderr frames of a binary recording, or the
 * exact bytes of a terminal recording's output (a "b" event after an "o" one replaces its lossy text). A torn end
 * (a killed process) ends the output, as the whole-file readers do.
 */
export async function* timedOutput(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<Timed> {
  const it = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  while (size < MAGIC.length) {
    const next = await it.next();
    if (next.done) break;
    const b = Buffer.from(next.value);
    head.push(b);
    size += b.length;
  }
  const rest = (async function* () {
    yield* head;
    for (let next = await it.next(); !next.done; next = await it.next()) yield Buffer.from(next.value);
  })();
  yield* Buffer.concat(head).subarray(0, MAGIC.length).toString('latin1') === MAGIC ? binaryOutput(rest) : castOutput(rest);
}

async function* binaryOutput(chunks: AsyncIterable<Buffer>): AsyncGenerator<Timed> {
  const reader = new FrameReader();
  for await (const chunk of chunks) {
    for (const f of reader.push(chunk)) {
      if (f.stream === STREAM.stdout || f.stream === STREAM.stderr) yield { time: f.ms / 1000, data: f.data, stream: f.stream === STREAM.stdout ? 'stdout' : 'stderr' };
    }
    if (reader.broken) break;
  }
  if (!reader.header) throw new Error('not a fumidai binary recording');
}

async function* castOutput(chunks: AsyncIterable<Buffer>): AsyncGenerator<Timed> {
  let header = true;
  let held: CastEvent | undefined; // an "o" event waits for the next one: it may be its exact bytes
  const text = (e: CastEvent): Timed => ({ time: e.time, data: Buffer.from(e.data, 'utf8'), stream: 'stdout' });
  for await (const line of lines(chunks)) {
    if (header) {
      if (!isCastHeader(line)) throw new Error('not an asciicast v2 file');
      header = false;
      continue;
    }
    if (!line) continue;
    const e = parseEventLine(line);
    if (!e) break;
    if (held) {
      if (e.type === 'b' && e.data.startsWith('o:')) {
        yield { time: held.time, data: Buffer.from(e.data.slice(2), 'base64'), stream: 'stdout' };
        held = undefined;
        continue;
      }
      yield text(held);
      held = undefined;
    }
    if (e.type === 'o') held = e;
  }
  if (header) throw new Error('not an asciicast v2 file');
  if (held) yield text(held);
}

/** Lines (without their newline) of a byte stream; a newline byte never occurs inside a UTF-8 character. */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let parts: Buffer[] = []; // the start of a line that spans pieces
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      yield (parts.length ? Buffer.concat([...parts, piece]) : piece).toString('utf8');
      parts = [];
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
  }
  if (parts.length) yield Buffer.concat(parts).toString('utf8');
}

/** Plays events with their timing; `write` may return a promise (a full pipe), which is waited for. */
export async function replay(events: AsyncIterable<Timed> | Iterable<Timed>, write: (e: Timed) => unknown, opts: ReplayOptions, sleep = defaultSleep): Promise<void> {
  let previous = 0;
  for await (const e of events) {
    if (!opts.noWait) {
      let pause = Math.max(0, e.time - previous);
      if (opts.idleLimit !== undefined) pause = Math.min(pause, opts.idleLimit);
      if (pause > 0) await sleep((pause * 1000) / opts.speed);
    }
    previous = e.time;
    await write(e);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
