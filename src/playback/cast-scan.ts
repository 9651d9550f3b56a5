// Reading big asciicast files without holding them: whole lines in chunks of about a megabyte, and the input events
// found by their bytes. A 1 GB recording does not fit in one JavaScript string, and most of it is output that a
// reader of what was typed never needs to parse.
import { open } from 'node:fs/promises';
import { parseEventLine } from '../recording/asciicast.js';

const READ_BYTES = 1 << 20;
export const NEWLINE = 0x0a;
// An event's type field as it appears in a line, `[t, "i", "…"]`: inside a JSON string a quote is always escaped, and
// the data field is followed by `]`, so `"i",` can only be the type of an input event.
export const INPUT_TYPE = Buffer.from('"i",');
export const RESIZE_TYPE = Buffer.from('"r",');

/**
 * Hands `take` the file's whole lines, in order, a chunk at a time; a last line without its newline (torn by a killed
 * process) is left out. `take` returns false to stop. Only the line that straddles two reads is joined (a copy); the
 * rest of each read is handed over as it is, so the file's bytes are not copied once more on their way. The lines
 * handed over are contiguous from `start` (a line's offset is `start` plus the bytes handed over before it).
 */
export async function forEachLines(path: string, take: (lines: Buffer) => Promise<boolean> | boolean, start = 0): Promise<void> {
  const fh = await open(path, 'r');
  try {
    /** The start of a line that the reads so far have not finished, in pieces (a line can be longer than a read). */
    let carry: Buffer[] = [];
    for (let position = start; ; ) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await fh.read(chunk, 0, READ_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      let data = chunk.subarray(0, bytesRead);
      if (carry.length) {
        const first = data.indexOf(NEWLINE) + 1;
        if (first === 0) {
          carry.push(data);
          continue;
        }
        const joined = Buffer.concat([...carry, data.subarray(0, first)]);
        carry = [];
        if (!(await take(joined))) return;
        data = data.subarray(first);
      }
      const end = data.lastIndexOf(NEWLINE) + 1;
      if (end > 0 && !(await take(data.subarray(0, end)))) return;
      if (end < data.length) carry = [Buffer.from(data.subarray(end))]; // a copy: a short tail must not keep 1 MB alive
    }
  } finally {
    await fh.close();
  }
}

/** Everything typed in a terminal recording, in order (the data of its input events); stops at a damaged line. */
export async function inputOf(path: string): Promise<string> {
  return (await inputEventsOf(path)).map((e) => e.data).join('');
}

/** The input events of a terminal recording with their times, in order; stops at a damaged line. */
export async function inputEventsOf(path: string): Promise<{ time: number; data: string }[]> {
  const out: { time: number; data: string }[] = [];
  await forEachLines(path, (buf) => {
    for (let at = buf.indexOf(INPUT_TYPE); at >= 0; ) {
      const start = buf.lastIndexOf(NEWLINE, at) + 1;
      const end = buf.indexOf(NEWLINE, at);
      const event = parseEventLine(buf.toString('utf8', start, end));
      if (!event) return false;
      if (event.type === 'i') out.push({ time: event.time, data: event.data });
      at = buf.indexOf(INPUT_TYPE, end + 1);
    }
    return true;
  });
  return out;
}
