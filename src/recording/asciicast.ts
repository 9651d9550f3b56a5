// Terminal sessions as asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), playable by the asciinema tools.
// Each direction has its own UTF-8 decoder, so a character split across chunks is never corrupted. Bytes that are
// not valid UTF-8 cannot live in a JSON string: such a chunk also gets a "b" event holding its raw bytes in base64
// (players ignore unknown event types), so the exact bytes stay recoverable.
import { StringDecoder } from 'node:string_decoder';
import type { FileSink, Seal } from './file-sink.js';

export interface CastHeader {
  width: number;
  height: number;
  /** Unix seconds. */
  timestamp: number;
  title: string;
  env: { TERM?: string; SHELL?: string };
  /** fumidai's own fields; asciicast v2 readers ignore unknown header keys. */
  fumidai: { auditKey: string; user: string; target: string; login: string; channel: number; command?: string };
}

export class AsciicastRecorder {
  readonly sink: FileSink;
  #start: number;
  #out = new StringDecoder('utf8');
  #in = new StringDecoder('utf8');
  #recordInput: boolean;

  constructor(sink: FileSink, header: CastHeader, recordInput: boolean, startMs = Date.now()) {
    this.sink = sink;
    this.#start = startMs;
    this.#recordInput = recordInput;
    sink.write(JSON.stringify({ version: 2, ...header }) + '\n');
  }

  output(chunk: Buffer): void {
    this.#event('o', chunk, this.#out);
  }

  input(chunk: Buffer): void {
    if (this.#recordInput) this.#event('i', chunk, this.#in);
  }

  resize(cols: number, rows: number): void {
    this.#line('r', `${cols}x${rows}`);
  }

  #event(type: 'o' | 'i', chunk: Buffer, decoder: StringDecoder): void {
    const text = decoder.write(chunk);
    if (text) this.#line(type, text);
    if (text.includes('\uFFFD')) this.#line('b', `${type}:${chunk.toString('base64')}`);
  }

  #line(type: string, data: string): void {
    const t = Math.round(Date.now() - this.#start) / 1000;
    this.sink.write(`[${t.toFixed(3)}, "${type}", ${JSON.stringify(data)}]\n`);
  }

  close(): Promise<Seal> {
    const rest = this.#out.end();
    if (rest) this.#line('o', rest);
    return this.sink.close();
  }
}

export interface CastEvent {
  time: number;
  type: string;
  data: string;
}

/** Parses an asciicast v2 file; a torn last line (a killed process) is ignored rather than fatal. */
export function parseCast(text: string): { header: Record<string, unknown>; events: CastEvent[] } {
  const lines = text.split('\n');
  const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  if (header.version !== 2) throw new Error('not an asciicast v2 file');
  const events: CastEvent[] = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    try {
      const [time, type, data] = JSON.parse(line) as [number, string, string];
      events.push({ time, type, data });
    } catch {
      break;
    }
  }
  return { header, events };
}
