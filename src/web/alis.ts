// The live stream to asciinema-player's websocket driver, in its binary protocol ALiS v1 (subprotocol "v1.alis"): a
// magic message, a reset frame with the terminal's size and the screen so far, then output and resize frames with
// times in microseconds, and an end-of-stream frame. Output frames end on whole UTF-8 characters: the player decodes
// each frame on its own, so a character cut between two pieces would show as two replacement marks.
import { performance } from 'node:perf_hooks';
import { completeLength } from '../recording/utf8.js';

export const ALIS_PROTOCOL = 'v1.alis';
export const ALIS_MAGIC = Buffer.from('ALiS\x01', 'latin1');
/** End of stream: the player says the stream ended instead of reconnecting. */
export const ALIS_EOT = Buffer.from([0x04]);

export function varUint(n: number): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(n));
  while (v > 127) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** One viewer's stream: frame ids and times, and the bytes of a character not finished yet. */
export class AlisStream {
  #id = 0;
  #last: number;
  #carry: Buffer | undefined;
  #now: () => number;

  constructor(now: () => number = () => performance.now() * 1000) {
    this.#now = now;
    this.#last = now();
  }

  #rel(): number {
    const t = this.#now();
    const rel = t - this.#last;
    this.#last = t;
    return rel;
  }

  reset(cols: number, rows: number, init: string): Buffer {
    const text = Buffer.from(init, 'utf8');
    const head = [0x01, ...varUint(this.#id++), ...varUint(0), ...varUint(cols), ...varUint(rows), 0, ...varUint(text.length)];
    this.#last = this.#now();
    return Buffer.concat([Buffer.from(head), text]);
  }

  /** An output frame of the whole characters so far; undefined when all of it waits for the rest of a character. */
  output(data: Buffer): Buffer | undefined {
    const buf = this.#carry ? Buffer.concat([this.#carry, data]) : data;
    const n = completeLength(buf);
    this.#carry = n < buf.length ? Buffer.from(buf.subarray(n)) : undefined;
    if (n === 0) return undefined;
    const head = Buffer.from([0x6f, ...varUint(this.#id++), ...varUint(this.#rel()), ...varUint(n)]);
    const frame = Buffer.allocUnsafe(head.length + n);
    head.copy(frame, 0);
    buf.copy(frame, head.length, 0, n);
    return frame;
  }

  resize(cols: number, rows: number): Buffer {
    return Buffer.from([0x72, ...varUint(this.#id++), ...varUint(this.#rel()), ...varUint(cols), ...varUint(rows)]);
  }
}
