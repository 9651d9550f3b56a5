// Windowed replay of long terminal recordings: the file cut into segments of about half a megabyte, each with the
// screen as it was where it starts (a keyframe), so a player seeks anywhere by loading one segment: that screen, then
// at most half a megabyte of events. Two passes over the file, both fed whole lines in order (cast-scan's forEachLines):
//  1. TimeScanner reads only each event's time (no JSON, no emulator: about a second per gigabyte) and places the
//     segment starts, with their times as recorded and with pauses cut to IDLE_MS (the player's idle skip); it keeps
//     what was typed too (the session page's commands), so a page view does not read the gigabyte once more.
//  2. KeyframeTaker runs the output through a headless terminal and serializes the screen at each segment start
//     (@xterm/addon-serialize): the slow pass, done once per recording and kept.
// A segment starts on an event later than the one before it, so no event of a segment shares the next one's time.
import xterm from '@xterm/headless';
import { SerializeAddon } from '@xterm/addon-serialize';
import { parseEventLine } from '../recording/asciicast.js';
import { INPUT_TYPE, NEWLINE } from './cast-scan.js';

/** Half a megabyte: a seek replays at most this much in the page, and a 1 GB recording is 2048 segments. */
export const SEGMENT_BYTES = 512 * 1024;
const FIRST_SEGMENT_BYTES = 64 * 1024;
/** Longest pause kept when idle time is skipped, as the console's player did (idleTimeLimit 2). */
export const IDLE_MS = 2000;
/** Output held before it is written to the emulator: one write per batch, not per event. */
const FEED_BATCH = 256 * 1024;

export interface SegmentMark {
  /** Byte offset of the segment's first event line. */
  offset: number;
  /** Its time in ms, as recorded and with idle time cut. */
  ms: number;
  compMs: number;
}

export interface TimeIndex {
  cols: number;
  rows: number;
  /** Bytes of the file when it was scanned. */
  size: number;
  /** Where the events end: the file's size, or the start of a damaged line (what follows is not played). */
  end: number;
  durationMs: number;
  durationCompMs: number;
  segments: SegmentMark[];
  /** Everything typed (the data of the input events, as cast-scan's inputOf), read in the same pass. */
  input: string;
}

export interface Snapshot {
  cols: number;
  rows: number;
  /** Escape sequences that draw the screen (asciinema-player's segment `snapshot.init`). */
  init: string;
}

/**
 * The time of an event line `[12.345, "o", …]` in whole ms, read from its bytes; undefined if the line does not start
 * like an event. Recorders write three decimals; other forms go through parseFloat.
 */
export function lineMs(buf: Buffer, start: number, end: number): number | undefined {
  if (buf[start] !== 0x5b) return undefined;
  let i = start + 1;
  let ms = 0;
  let frac = -1;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (frac < 0) ms = ms * 10 + (c - 0x30);
      else if (frac < 3) (ms = ms * 10 + (c - 0x30)), frac++;
      else break;
    } else if (c === 0x2e && frac < 0) frac = 0;
    else break;
  }
  if (buf[i] === 0x2c && i > start + 1) return ms * 10 ** (3 - Math.max(frac, 0));
  const comma = buf.indexOf(0x2c, start);
  const t = comma > 0 && comma < end ? Number(buf.toString('latin1', start + 1, comma)) : NaN;
  return Number.isFinite(t) && t >= 0 ? Math.round(t * 1000) : undefined;
}

/** Pass 1: segment starts and durations from the events' times. */
export class TimeScanner {
  #pos = 0;
  #header = false;
  #cols = 80;
  #rows = 24;
  #prevMs = 0;
  #compMs = 0;
  #events = 0;
  #next = 0;
  #end: number | undefined;
  #segments: SegmentMark[] = [];
  #input = '';

  constructor(readonly segmentBytes = SEGMENT_BYTES) {}

  lines(buf: Buffer): boolean {
    const base = this.#pos;
    this.#pos += buf.length;
    let at = 0;
    if (!this.#header) {
      at = buf.indexOf(NEWLINE) + 1;
      const header = JSON.parse(buf.toString('utf8', 0, at - 1)) as { version?: number; width?: number; height?: number };
      if (header.version !== 2) throw new Error('not an asciicast v2 file');
      this.#cols = header.width || 80;
      this.#rows = header.height || 24;
      this.#header = true;
      this.#segments.push({ offset: base + at, ms: 0, compMs: 0 });
      // A short first segment: what the player loads before it can start.
      this.#next = base + at + Math.min(this.segmentBytes, FIRST_SEGMENT_BYTES);
    }
    // Found once per chunk and then past each input line: a chunk without input is searched once.
    let input = buf.indexOf(INPUT_TYPE, at);
    for (; at < buf.length; ) {
      const nl = buf.indexOf(NEWLINE, at);
      if (nl === at) {
        at++;
        continue;
      }
      const raw = lineMs(buf, at, nl);
      if (raw === undefined) {
        this.#end = base + at;
        return false;
      }
      if (input >= 0 && input < nl) {
        const e = parseEventLine(buf.toString('utf8', at, nl));
        if (e?.type === 'i') this.#input += e.data;
        input = buf.indexOf(INPUT_TYPE, nl);
      }
      const ms = Math.max(raw, this.#prevMs); // a time that goes back plays at the time before it
      const compMs = this.#compMs + Math.min(ms - this.#prevMs, IDLE_MS);
      if (this.#events > 0 && base + at >= this.#next && ms > this.#prevMs) {
        this.#segments.push({ offset: base + at, ms, compMs });
        this.#next = base + at + this.segmentBytes;
      }
      this.#events++;
      this.#prevMs = ms;
      this.#compMs = compMs;
      at = nl + 1;
    }
    return true;
  }

  finish(size: number): TimeIndex {
    if (!this.#header) throw new Error('not an asciicast v2 file');
    const segments = this.#segments;
    // The player wants every segment to start before the end.
    while (segments.length > 1 && segments.at(-1)!.ms >= this.#prevMs) segments.pop();
    return { cols: this.#cols, rows: this.#rows, size, end: this.#end ?? this.#pos, durationMs: this.#prevMs, durationCompMs: this.#compMs, segments, input: this.#input };
  }
}

/** Pass 2: the screen at each segment start, handed to `take` in order as soon as it is known. */
export class KeyframeTaker {
  #index: TimeIndex;
  #take: (k: number, s: Snapshot) => void;
  #term: xterm.Terminal;
  #serializer = new SerializeAddon();
  #pos = 0;
  #k = 0;
  #pending = '';
  #stopped = false;

  constructor(index: TimeIndex, take: (k: number, s: Snapshot) => void) {
    this.#index = index;
    this.#take = take;
    this.#term = new xterm.Terminal({ cols: index.cols, rows: index.rows, allowProposedApi: true, scrollback: 0 });
    this.#term.loadAddon(this.#serializer as unknown as xterm.ITerminalAddon);
  }

  async lines(buf: Buffer): Promise<boolean> {
    const base = this.#pos;
    this.#pos += buf.length;
    for (let at = 0; at < buf.length && !this.#stopped; ) {
      const nl = buf.indexOf(NEWLINE, at);
      const offset = base + at;
      if (offset >= this.#index.end) return this.#stop();
      if (this.#k < this.#index.segments.length && this.#index.segments[this.#k]!.offset === offset) await this.#snap();
      if (offset > 0 && nl > at) {
        const e = parseEventLine(buf.toString('utf8', at, nl));
        // A damaged line: the segments after it keep the last screen known (the player stops there too).
        if (!e) return this.#stop();
        if (e.type === 'o') {
          this.#pending += e.data;
          if (this.#pending.length > FEED_BATCH) await this.#feed();
        } else if (e.type === 'r') {
          const [cols, rows] = e.data.split('x').map(Number);
          await this.#feed();
          if (cols && rows && cols <= 1000 && rows <= 500) this.#term.resize(cols, rows);
        }
      }
      at = nl + 1;
    }
    return !this.#stopped;
  }

  /** Snapshots of segments not reached (a damaged line, a file cut short) repeat the last screen. */
  async finish(): Promise<void> {
    await this.#stop();
    this.#term.dispose();
  }

  async #stop(): Promise<boolean> {
    if (!this.#stopped) {
      this.#stopped = true;
      while (this.#k < this.#index.segments.length) await this.#snap();
    }
    return false;
  }

  async #feed(): Promise<void> {
    if (!this.#pending) return;
    const data = this.#pending;
    this.#pending = '';
    await new Promise<void>((resolve) => this.#term.write(data, resolve));
  }

  async #snap(): Promise<void> {
    await this.#feed();
    const init = this.#k === 0 ? '' : this.#serializer.serialize({ scrollback: 0 });
    this.#take(this.#k++, { cols: this.#term.cols, rows: this.#term.rows, init });
  }
}
