// One viewer's live stream: the output as it comes while it comes at a terminal's pace, and screens instead while it
// floods. A human watching a `cat` of a large file sees a screen redrawn a few times a second at most; sending every
// byte to every browser would cost the bastion about a third more CPU per viewer (TLS, framing, copies: measured with
// bench/live-view.ts). So above BURST_BYTES in SNAPSHOT_MS, output is counted and skipped, and every SNAPSHOT_MS the
// screen as it is then (rebuilt from the recording's tail) replaces what the player shows. Output that comes while a
// screen is being built waits and follows it, so the view never misses what came after the screen's position.
import type { LiveEvent } from '../recording/live-feed.js';
import { ALIS_MAGIC, AlisStream } from './alis.js';

/** Output of one interval above which the stream turns to screens. */
export const BURST_BYTES = 32 * 1024;
/** How often a screen replaces the skipped output: the view stays well within a second of the session. */
export const SNAPSHOT_MS = 500;

export interface Screen {
  cols: number;
  rows: number;
  text: string;
}

export interface StreamOptions {
  send(frame: Buffer): void;
  /** The screen now: its position is taken when called, synchronously; the text may come later. */
  screen(first: boolean): Promise<Screen>;
  now?: () => number;
  burstBytes?: number;
  intervalMs?: number;
}

type Mode = { kind: 'stream' } | { kind: 'skip' } | { kind: 'catching'; queue: LiveEvent[]; bytes: number; overflow: boolean };

export class LiveStream {
  #o: StreamOptions;
  #alis = new AlisStream();
  #mode: Mode = { kind: 'skip' };
  #windowStart = 0;
  #windowBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #building: Promise<void> | undefined;
  #now: () => number;
  #burst: number;
  #interval: number;

  constructor(o: StreamOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#burst = o.burstBytes ?? BURST_BYTES;
    this.#interval = o.intervalMs ?? SNAPSHOT_MS;
  }

  /** Sends the stream's header and the screen so far; output that comes meanwhile follows it. */
  start(): Promise<void> {
    this.#o.send(ALIS_MAGIC);
    return this.#snapshot(true);
  }

  event(e: LiveEvent): void {
    const bytes = e.kind === 'output' ? e.data.length : 0;
    const m = this.#mode;
    if (m.kind === 'skip') return;
    if (m.kind === 'catching') {
      if (m.overflow) return;
      m.bytes += bytes;
      if (m.bytes > this.#burst) {
        m.overflow = true;
        m.queue = [];
      } else m.queue.push(e.kind === 'output' ? { kind: 'output', data: Buffer.from(e.data) } : e);
      return;
    }
    const now = this.#now();
    if (now - this.#windowStart >= this.#interval) {
      this.#windowStart = now;
      this.#windowBytes = 0;
    }
    this.#windowBytes += bytes;
    if (this.#windowBytes > this.#burst) {
      this.#mode = { kind: 'skip' };
      this.#schedule();
      return;
    }
    this.#send(e);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** Resolves when no screen is being built. */
  idle(): Promise<void> {
    return this.#building ?? Promise.resolve();
  }

  #send(e: LiveEvent): void {
    const frame = e.kind === 'output' ? this.#alis.output(e.data) : this.#alis.resize(e.cols, e.rows);
    if (frame) this.#o.send(frame);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#snapshot(false), this.#interval);
    this.#timer.unref();
  }

  async #snapshot(first: boolean): Promise<void> {
    if (this.#closed) return;
    const catching: Mode = { kind: 'catching', queue: [], bytes: 0, overflow: false };
    this.#mode = catching;
    let screen: Screen;
    const building = this.#o.screen(first);
    this.#building = building.then(() => undefined, () => undefined);
    try {
      screen = await building;
    } catch {
      this.#building = undefined;
      if (this.#closed) return;
      if (!first) {
        // A blank screen now could stay for good (a flood that just ended sends nothing more): try again instead.
        this.#mode = { kind: 'skip' };
        this.#schedule();
        return;
      }
      screen = { cols: 80, rows: 24, text: '' }; // without the first screen, the view still shows what comes next
    } finally {
      this.#building = undefined;
    }
    if (this.#closed) return;
    this.#o.send(this.#alis.reset(screen.cols, screen.rows, screen.text));
    if (catching.overflow) {
      // Still flooding: the next screen in an interval.
      this.#mode = { kind: 'skip' };
      this.#schedule();
      return;
    }
    this.#mode = { kind: 'stream' };
    this.#windowStart = this.#now();
    this.#windowBytes = catching.bytes;
    for (const e of catching.queue) this.#send(e);
  }
}
