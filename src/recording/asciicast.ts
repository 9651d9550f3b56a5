// Terminal sessions as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), playable by the asciinema tools.
// Events: "o" output, "i" input, "r" resize ("COLSxROWS"), and fumidai's own "b":
//   [t, "b", "o:<base64>"]  the exact bytes of the "o" event just before it (likewise "i:" for input),
//                           written only when those bytes were not valid UTF-8 and so could not live in a JSON string.
// asciinema 2.x `cat` and `play` only read "o" events and skip every other type (checked against 2.2's source), so
// "b" keeps the raw bytes recoverable without breaking the players; rawBytes() below puts them back together.
// Each direction has its own splitter, so a character cut across chunks is written whole, once.
// Input passes an EchoGate first: a line typed where the target did not echo it is written as the "i" event
// `[input not echoed: N bytes]` followed by the key that ended it, never in clear. Input held back for that decision is
// written with the time it was typed, or, if output was written meanwhile, that output's time: times never go back.
import type { FileSink, Seal } from './file-sink.js';
import { stopwatch, type Clock } from './clock.js';
import { EchoGate, hiddenMarker, type Release } from './echo-gate.js';
import { jsonLine } from './line-arena.js';
import { Utf8Splitter, type Utf8Run } from './utf8.js';

export interface CastHeader {
  width: number;
  height: number;
  /** Unix seconds. */
  timestamp: number;
  /** The audit key. */
  title: string;
  env: { TERM?: string; SHELL?: string };
  /** fumidai's own fields; asciicast v2 readers ignore unknown header keys. */
  fumidai: { auditKey: string; user: string; target: string; login: string; channel: number; command?: string };
}

export class AsciicastRecorder {
  readonly sink: FileSink;
  #clock: Clock;
  #out = new Utf8Splitter();
  #in = new Utf8Splitter();
  #gate: EchoGate | undefined;
  /** The time of the last event written, in ms. */
  #last = 0;

  constructor(sink: FileSink, header: CastHeader, recordInput: boolean, clock: Clock = stopwatch()) {
    this.sink = sink;
    this.#clock = clock;
    if (recordInput) this.#gate = new EchoGate();
    sink.write(JSON.stringify({ version: 2, ...header }) + '\n');
  }

  output(chunk: Buffer): void {
    if (this.#gate?.pending) this.#input(this.#gate.output(chunk));
    this.#event('o', this.#out.write(chunk));
  }

  input(chunk: Buffer): void {
    if (this.#gate) this.#input(this.#gate.input(chunk, this.#clock()));
  }

  resize(cols: number, rows: number): void {
    this.sink.write(line(this.#time(), 'r', `${cols}x${rows}`));
  }

  #input(releases: Release[]): void {
    for (const r of releases) {
      if ('bytes' in r) this.#event('i', this.#in.write(r.bytes), r.t);
      else {
        this.#event('i', this.#in.end(), r.t); // an unfinished character before the hidden line is its own
        this.sink.write(line(this.#time(r.t), 'i', hiddenMarker(r.hidden) + r.end.toString('latin1')));
      }
    }
  }

  #event(type: 'o' | 'i', run: Utf8Run | undefined, at?: number): void {
    if (!run) return;
    const t = this.#time(at);
    if (run.valid) {
      // The common case, kept off JS strings: the bytes are escaped in place (same output as JSON.stringify).
      this.sink.write(jsonLine(`[${t}, "${type}", `, run.bytes, ']\n'));
    } else {
      this.sink.write(line(t, type, run.bytes.toString('utf8')) + line(t, 'b', `${type}:${run.bytes.toString('base64')}`));
    }
  }

  /** Event time in seconds: now, or when input held back was typed, never before the last event written. */
  #time(at = this.#clock()): string {
    this.#last = Math.max(this.#last, Math.round(at));
    return (this.#last / 1000).toFixed(3);
  }

  /** Writes what is left of an unfinished character and of held input, then flushes, fsyncs and seals the file. */
  close(): Promise<Seal> {
    this.#event('o', this.#out.end());
    if (this.#gate) {
      this.#input(this.#gate.end());
      this.#event('i', this.#in.end());
    }
    return this.sink.close();
  }
}

function line(time: string, type: string, data: string): string {
  return `[${time}, "${type}", ${JSON.stringify(data)}]\n`;
}

export interface CastEvent {
  time: number;
  type: string;
  data: string;
}

/** Parses one event line; undefined if it is not one (a torn or damaged line). */
export function parseEventLine(text: string): CastEvent | undefined {
  try {
    const e = JSON.parse(text) as unknown;
    if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'number' || typeof e[1] !== 'string' || typeof e[2] !== 'string') return undefined;
    return { time: e[0], type: e[1], data: e[2] };
  } catch {
    return undefined;
  }
}

/** Parses an asciicast v2 file; a torn last line (a killed process) ends the events rather than failing. */
export function parseCast(text: string): { header: Record<string, unknown>; events: CastEvent[] } {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  if (header.version !== 2) throw new Error('not an asciicast v2 file');
  const events: CastEvent[] = [];
  for (const l of lines.slice(1)) {
    if (!l) continue;
    const e = parseEventLine(l);
    if (!e) break;
    events.push(e);
  }
  return { header, events };
}

/** The exact bytes of each "o" (or "i") event, with its time: a following "b" event replaces the lossy text. */
export function rawBytes(events: CastEvent[], type: 'o' | 'i' = 'o'): { time: number; data: Buffer }[] {
  const out: { time: number; data: Buffer }[] = [];
  const prefix = `${type}:`;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type !== type) continue;
    const next = events[i + 1];
    const exact = next?.type === 'b' && next.data.startsWith(prefix);
    out.push({ time: e.time, data: exact ? Buffer.from(next.data.slice(prefix.length), 'base64') : Buffer.from(e.data, 'utf8') });
  }
  return out;
}

/** Whether a line is an asciicast v2 header (the first line of every terminal recording). */
export function isCastHeader(line: string): boolean {
  try {
    return (JSON.parse(line) as { version?: unknown }).version === 2;
  } catch {
    return false;
  }
}
