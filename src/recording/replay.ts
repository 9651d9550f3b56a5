// Timed playback of a recording: what the user saw, at the speed it happened (or faster, with long pauses cut).
import { readFile } from 'node:fs/promises';
import { parseCast, rawBytes } from './asciicast.js';
import { decodeBinary, MAGIC, STREAM } from './binary-log.js';

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
export async function outputOf(path: string): Promise<Timed[]> {
  const buf = await readFile(path);
  if (buf.subarray(0, MAGIC.length).toString() === MAGIC) {
    return decodeBinary(buf)
      .frames.filter((f) => f.stream === STREAM.stdout || f.stream === STREAM.stderr)
      .map((f) => ({ time: f.ms / 1000, data: f.data, stream: f.stream === STREAM.stdout ? 'stdout' : 'stderr' }));
  }
  // The exact bytes, including any that were not UTF-8 (kept in "b" events).
  return rawBytes(parseCast(buf.toString('utf8')).events).map((e) => ({ ...e, stream: 'stdout' as const }));
}

export async function replay(events: Timed[], write: (e: Timed) => void, opts: ReplayOptions, sleep = defaultSleep): Promise<void> {
  let previous = 0;
  for (const e of events) {
    if (!opts.noWait) {
      let pause = Math.max(0, e.time - previous);
      if (opts.idleLimit !== undefined) pause = Math.min(pause, opts.idleLimit);
      if (pause > 0) await sleep((pause * 1000) / opts.speed);
    }
    previous = e.time;
    write(e);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
