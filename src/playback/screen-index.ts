// Full-text search must find what was on the screen, not raw bytes full of escape sequences and redraws: the
// recorded output is replayed through a headless terminal emulator (@xterm/headless) and the visible screen is taken
// as text before each command the user entered (and at the end), with its time offset. Runs after a recording is
// sealed, off the relay's path.
//
// Cost: a 200 MB `cat` must not spend minutes in the emulator, yet what was typed after it must still be found. So the
// file is scanned as bytes for the events that matter (input with Enter, resizes), and before each snapshot only the
// tail of the output since the last one goes through the emulator: the last `window` bytes of a long burst are what
// the screen shows (a screen is a few kB; the tail redraws it many times over).
import xterm from '@xterm/headless';
import { parseEventLine } from '../recording/asciicast.js';
import { forEachLines, INPUT_TYPE, NEWLINE, RESIZE_TYPE } from './cast-scan.js';

export interface ScreenSnapshot {
  offset: number;
  text: string;
  /** A line typed rather than a screen (the worker sends both). */
  kind?: 'screen' | 'typed';
}

export interface ScreenIndexOptions {
  /** Output bytes (of recording lines) fed to the emulator before each snapshot, at most. */
  window?: number;
}

const DEFAULT_WINDOW = 256 * 1024;

/** The screens of an asciicast v2 file, read in pieces so a huge recording never sits in memory. */
export async function screenSnapshotsOfFile(path: string, options: ScreenIndexOptions = {}): Promise<ScreenSnapshot[]> {
  const screens = new ScreenTaker(options.window ?? DEFAULT_WINDOW);
  await forEachLines(path, (lines) => screens.lines(lines));
  return screens.finish();
}

/** Feeds whole recording lines to an emulator and takes the screens; knows nothing of files. */
class ScreenTaker {
  #window: number;
  #term: xterm.Terminal | undefined;
  #snapshots: ScreenSnapshot[] = [];
  #last = '';
  #lastTime = 0;
  /** Output lines not yet fed, oldest first, about `window` bytes, each slice whole lines. */
  #unfed: Buffer[] = [];
  #unfedBytes = 0;

  constructor(window: number) {
    this.#window = window;
  }

  /** Takes complete lines; false once the file turns out to be damaged (what came before still counts). */
  async lines(buf: Buffer): Promise<boolean> {
    let at = 0;
    if (!this.#term) {
      const headerEnd = buf.indexOf(NEWLINE);
      if (headerEnd < 0) return true;
      const header = JSON.parse(buf.toString('utf8', 0, headerEnd)) as { version?: number; width?: number; height?: number };
      if (header.version !== 2) throw new Error('not an asciicast v2 file');
      this.#term = new xterm.Terminal({ cols: header.width || 80, rows: header.height || 24, allowProposedApi: true, scrollback: 0 });
      at = headerEnd + 1;
    }
    // Each pattern is searched for again only once passed: a line of keystrokes does not rescan the rest for resizes.
    let input = buf.indexOf(INPUT_TYPE, at);
    let resize = buf.indexOf(RESIZE_TYPE, at);
    while (input >= 0 || resize >= 0) {
      const marker = input < 0 ? resize : resize < 0 ? input : Math.min(input, resize);
      const lineStart = buf.lastIndexOf(NEWLINE, marker) + 1;
      const lineEnd = buf.indexOf(NEWLINE, marker);
      this.#keep(buf.subarray(at, lineStart));
      at = lineEnd + 1;
      if (input >= 0 && input < at) input = buf.indexOf(INPUT_TYPE, at);
      if (resize >= 0 && resize < at) resize = buf.indexOf(RESIZE_TYPE, at);
      const event = parseEventLine(buf.toString('utf8', lineStart, lineEnd));
      if (!event) {
        await this.#feed(); // the lines before the damaged one still count
        return false;
      }
      const { time, type, data } = event;
      this.#lastTime = time;
      if (type === 'r') {
        const [cols, rows] = data.split('x').map(Number);
        if (!(await this.#feed())) return false;
        if (cols && rows) this.#term.resize(cols, rows);
      } else if (type === 'i' && /[\r\n]/.test(data)) {
        if (!(await this.#feed())) return false;
        await this.#snap(time);
      }
    }
    this.#keep(buf.subarray(at));
    return true;
  }

  async finish(): Promise<ScreenSnapshot[]> {
    if (!this.#term) return [];
    await this.#feed();
    await this.#snap(this.#lastTime);
    this.#term.dispose();
    return this.#snapshots;
  }

  /** Holds output lines for the next feed, dropping the oldest whole lines beyond the window. */
  #keep(lines: Buffer): void {
    if (!lines.length) return;
    this.#unfed.push(lines);
    this.#unfedBytes += lines.length;
    while (this.#unfed.length > 1 && this.#unfedBytes - this.#unfed[0]!.length >= this.#window) this.#unfedBytes -= this.#unfed.shift()!.length;
    const first = this.#unfed[0]!;
    const excess = this.#unfedBytes - this.#window;
    if (excess <= 0) return;
    // Slices start and end on line boundaries; the line the window's edge falls in is kept whole (a single event can
    // be longer than the window, and its end is what the screen shows).
    const cut = first.lastIndexOf(NEWLINE, excess - 1) + 1;
    this.#unfed[0] = first.subarray(cut);
    this.#unfedBytes -= cut;
  }

  /** Writes the held output to the emulator; false if a line is damaged (the lines before it are written). */
  async #feed(): Promise<boolean> {
    if (!this.#unfedBytes) return true;
    const text = Buffer.concat(this.#unfed, this.#unfedBytes).toString('utf8');
    this.#unfed = [];
    this.#unfedBytes = 0;
    let out = '';
    let ok = true;
    for (const line of text.split('\n')) {
      if (!line) continue;
      const event = parseEventLine(line);
      if (!event) {
        ok = false;
        break;
      }
      this.#lastTime = event.time;
      if (event.type === 'o') out += event.data;
    }
    if (out) await new Promise<void>((resolve) => this.#term!.write(out, resolve));
    return ok;
  }

  async #snap(offset: number): Promise<void> {
    const term = this.#term!;
    const buffer = term.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < term.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    const text = rows.join('\n').trim();
    if (text && text !== this.#last) this.#snapshots.push({ offset, text });
    this.#last = text;
  }
}
