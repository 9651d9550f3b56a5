// Splits a byte stream into runs that end on UTF-8 character boundaries, keeping the exact bytes of each run: a
// character cut across two chunks is carried to the next one instead of being turned into U+FFFD twice. Unlike
// node:string_decoder, it hands back bytes, not text: invalid bytes can be kept verbatim, and valid ones need never
// become a JS string at all.
import { isUtf8 } from 'node:buffer';

export interface Utf8Run {
  /** Whole characters only; `valid` is false when they are not UTF-8 (decoding gives U+FFFD for those bytes). */
  bytes: Buffer;
  valid: boolean;
}

export class Utf8Splitter {
  #carry: Buffer | undefined;

  /** The bytes of the complete characters so far (undefined if none); an unfinished last one waits for the next chunk. */
  write(chunk: Buffer): Utf8Run | undefined {
    const buf = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    const n = completeLength(buf);
    this.#carry = n < buf.length ? Buffer.from(buf.subarray(n)) : undefined; // a copy: at most 3 bytes kept
    return n ? run(buf.subarray(0, n)) : undefined;
  }

  /** What is left at the end of the stream: a character that never completed, so never valid. */
  end(): Utf8Run | undefined {
    const rest = this.#carry;
    this.#carry = undefined;
    return rest && run(rest);
  }
}

function run(bytes: Buffer): Utf8Run {
  return { bytes, valid: isUtf8(bytes) };
}

/** Length of the prefix of `buf` that does not end inside a character that could still be completed. */
export function completeLength(buf: Buffer): number {
  for (let i = buf.length - 1; i >= 0 && i >= buf.length - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
    return buf.length - i < need ? i : buf.length;
  }
  return buf.length;
}
