// A JSON string literal built straight from UTF-8 bytes, the same bytes JSON.stringify(text) would give once encoded.
// Terminal output is mostly plain text: decoding it to a JS string, escaping it, and encoding it back made up about
// half of the recording's CPU on a 200 MB session; escaping the bytes in place skips both conversions. Valid UTF-8 only.

/** For each byte: 0 = copy as is, 1 = \u00XX, otherwise the letter after the backslash. */
const ESCAPE = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) ESCAPE[b] = 1;
for (const [b, c] of [[0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0c, 'f'], [0x0d, 'r'], [0x22, '"'], [0x5c, '\\']] as const) ESCAPE[b] = c.charCodeAt(0);
const HEX = Buffer.from('0123456789abcdef');

/** Room `writeJsonString` may need for `n` bytes: every byte escaped as \u00XX, and the quotes. */
export const jsonStringMaxBytes = (n: number) => 6 * n + 2;

/**
 * Writes `"..."` into `out` at `offset` (which must have jsonStringMaxBytes room) with `"`, `\` and control characters
 * escaped as JSON.stringify does, other bytes copied as they are; returns the offset after it. One pass, byte by byte:
 * terminal output has an escape every few dozen bytes, where a copy() per run, or counting first, costs more.
 */
export function writeJsonString(utf8: Buffer, out: Buffer, offset: number): number {
  let o = offset;
  out[o++] = 0x22;
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i]!;
    const e = ESCAPE[b]!;
    if (e === 0) out[o++] = b;
    else if (e !== 1) {
      out[o++] = 0x5c;
      out[o++] = e;
    } else {
      out[o++] = 0x5c; // \u00XX
      out[o++] = 0x75;
      out[o++] = 0x30;
      out[o++] = 0x30;
      out[o++] = HEX[b >> 4]!;
      out[o++] = HEX[b & 15]!;
    }
  }
  out[o++] = 0x22;
  return o;
}

/** `"..."` as a new buffer (see writeJsonString). */
export function jsonStringBytes(utf8: Buffer): Buffer {
  const out = Buffer.allocUnsafe(jsonStringMaxBytes(utf8.length));
  return Buffer.from(out.subarray(0, writeJsonString(utf8, out, 0)));
}
