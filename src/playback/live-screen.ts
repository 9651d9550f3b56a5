// What a live terminal shows now, for a viewer who arrives late: the recording so far goes through a headless terminal
// emulator and its screen comes back as text that redraws it (colours and all). As for search (screen-index.ts), only
// the recording's tail is replayed: a screen is a few kB, and the last few hundred kB of output redraw it many times.
import { open } from 'node:fs/promises';
import xterm from '@xterm/headless';
import serialize from '@xterm/addon-serialize';
import { parseEventLine } from '../recording/asciicast.js';

/** Recording bytes replayed at most (before `upTo`). */
export const SCREEN_TAIL = 512 * 1024;

/**
 * The screens of one recording, rebuilt on demand by one emulator, reset each time (a new one costs about as much as
 * replaying 30 kB through it: a viewer of a flood asks twice a second).
 */
export class ScreenReader {
  #term = new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true, scrollback: 0 });
  #addon = new serialize.SerializeAddon();

  constructor() {
    this.#term.loadAddon(this.#addon);
  }

  /** The screen after the first `upTo` bytes of an asciicast v2 file, at the terminal's current size. */
  /**
   * `maxOutput`: only the last this many bytes of output, from a line's start, go through the emulator (a screen of
   * plain text is its rows times its columns; a full-screen program's redraw a few times that).
   */
  async at(path: string, upTo: number, size: { cols: number; rows: number }, tail = SCREEN_TAIL, maxOutput = Infinity): Promise<string> {
    // At least one whole event line: one piece of a flood's output is a line of 30-40 kB, longer than a small tail.
    let from = Math.max(0, upTo - tail);
    let buf = await readRange(path, from, upTo);
    while (from > 0 && buf.lastIndexOf(0x0a, buf.length - 2) < 0 && upTo - from < SCREEN_TAIL) {
      from = Math.max(0, from - Math.max(tail, upTo - from));
      buf = await readRange(path, from, upTo);
    }
    const term = this.#term;
    term.reset();
    if (term.cols !== (size.cols || 80) || term.rows !== (size.rows || 24)) term.resize(size.cols || 80, size.rows || 24);
    await new Promise<void>((resolve) => term.write(lastLines(outputOf(buf, from > 0), maxOutput), resolve));
    return this.#addon.serialize();
  }

  dispose(): void {
    this.#term.dispose();
  }
}

/** The screen after the first `upTo` bytes of an asciicast v2 file, at the terminal's current size. */
export async function screenAt(path: string, upTo: number, size: { cols: number; rows: number }, tail = SCREEN_TAIL): Promise<string> {
  const reader = new ScreenReader();
  try {
    return await reader.at(path, upTo, size, tail);
  } finally {
    reader.dispose();
  }
}

/** The last `max` bytes of output, from just after a line feed where there is one (escape sequences stay whole). */
export function lastLines(out: Buffer, max: number): Buffer {
  if (out.length <= max) return out;
  const cut = out.length - max;
  const nl = out.indexOf(0x0a, cut);
  return out.subarray(nl >= 0 ? nl + 1 : cut);
}

async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(to - from);
  const fh = await open(path, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** The output bytes of whole event lines; the first line is dropped when cut (or the header, at the start). */
export function outputOf(buf: Buffer, cut: boolean): Buffer {
  const lines = buf.toString('utf8').split('\n');
  if (cut || lines[0]?.startsWith('{')) lines.shift();
  const out: Buffer[] = [];
  for (let i = 0; i < lines.length; i++) {
    const e = parseEventLine(lines[i]!);
    if (e?.type !== 'o') continue;
    // A "b" event right after holds the exact bytes of output that was not valid UTF-8.
    const next = parseEventLine(lines[i + 1] ?? '');
    if (next?.type === 'b' && next.data.startsWith('o:')) {
      out.push(Buffer.from(next.data.slice(2), 'base64'));
      i++;
    } else out.push(Buffer.from(e.data, 'utf8'));
  }
  return Buffer.concat(out);
}
