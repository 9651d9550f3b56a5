// Recording lines assembled in place in large buffers shared by every recording of the process: each line is a view
// on the current buffer, handed to its file sink; a view is never written again, and a buffer is dropped once the
// sinks holding its views have flushed them (within a second). Per event this saves an allocation and a copy, and an
// idle session holds no buffer of its own.
import { jsonStringMaxBytes, writeJsonString } from './json-bytes.js';

const ARENA_BYTES = 256 * 1024;
let arena = Buffer.allocUnsafe(0);
let used = 0;

/** `<prefix>"<utf8 escaped as JSON>"<suffix>` with an ASCII prefix and suffix; the bytes must be valid UTF-8. */
export function jsonLine(prefix: string, utf8: Buffer, suffix: string): Buffer {
  const max = prefix.length + jsonStringMaxBytes(utf8.length) + suffix.length;
  if (arena.length - used < max) {
    arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, max));
    used = 0;
  }
  const start = used;
  let o = start + arena.write(prefix, start, 'latin1');
  o = writeJsonString(utf8, arena, o);
  o += arena.write(suffix, o, 'latin1');
  used = o;
  return arena.subarray(start, o);
}
