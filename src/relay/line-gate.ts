// The input side of a terminal under shell rules: keys pass at once, but each Enter waits until the line it submits,
// as the screen shows it, is decided. Keys typed while a line waits are kept in order and go on after it passes
// (each later Enter decided in its turn); they are dropped when the line is refused or cancelled (they were typed for
// a line that did not run). Ctrl-C while a line waits cancels it.
import { Transform } from 'node:stream';
import type { ShellScreen } from '../playback/shell-screen.js';
import type { LineJudge, LineOutcome } from '../session/shell-rules.js';

const CR = 0x0d;
const LF = 0x0a;
const ETX = 0x03;
/** Keys kept at most while a line waits; more are dropped. */
const QUEUE_BYTES = 64 * 1024;
/** An Enter that comes with keys not yet echoed (a paste) waits this long at most for their echo. */
export const ECHO_WAIT_MS = 300;
/** Output quiet this long after the echo began: the line is drawn. */
const ECHO_QUIET_MS = 15;
const ESCAPES = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[O[]?[ -~]?/g;

export class LineGate {
  readonly stream: Transform;
  #screen: ShellScreen;
  #judge: LineJudge;
  #queue: Buffer[] = [];
  #queued = 0;
  #busy = false;
  #ended = false;
  #atLineStart = true;
  #keys = '';
  #lastKeyAt = 0;
  #outputSinceKey = true;
  #outputWaiter: (() => void) | undefined;
  #abort: AbortController | undefined;
  #idle: (() => void) | undefined;

  constructor(screen: ShellScreen, judge: LineJudge) {
    this.#screen = screen;
    this.#judge = judge;
    this.stream = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        if (this.#ended) return cb();
        if (this.#busy) this.#hold(chunk);
        else this.#run(chunk);
        cb();
      },
      flush: (cb) => {
        if (!this.#busy) return cb();
        this.#idle = cb;
      },
    });
  }

  /** The channel closed: a line waiting for an approver stops waiting. */
  close(): void {
    this.#abort?.abort();
    this.#ended = true;
  }

  /** Output on its way to the user. */
  output(chunk: Buffer): void {
    this.#screen.output(chunk);
    this.#outputSinceKey = true;
    this.#outputWaiter?.();
  }

  #hold(chunk: Buffer): void {
    if (chunk.includes(ETX)) {
      this.#abort?.abort();
      return;
    }
    if (this.#queued + chunk.length > QUEUE_BYTES) return;
    this.#queue.push(chunk);
    this.#queued += chunk.length;
  }

  /** Passes keys on up to an Enter; the Enter and what follows wait for the line's decision. */
  #run(chunk: Buffer): void {
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#atLineStart) {
        this.#atLineStart = false;
        this.#screen.lineStarts();
      }
      if (b === CR || b === LF) {
        if (i > from) this.#sent(chunk.subarray(from, i));
        this.#busy = true;
        const rest = chunk.subarray(i + 1);
        if (rest.length) this.#hold(rest);
        void this.#decide(chunk.subarray(i, i + 1));
        return;
      }
      if (b === ETX) {
        this.#atLineStart = true;
        this.#keys = '';
      } else this.#typed(b);
    }
    if (chunk.length > from) this.#sent(chunk.subarray(from));
  }

  #sent(keys: Buffer): void {
    this.stream.push(keys);
    this.#lastKeyAt = Date.now();
    this.#outputSinceKey = false;
  }

  /** The keys of the line, roughly: printable bytes, backspace applied (escape sequences dropped at the end). */
  #typed(b: number): void {
    if (b === 0x7f || b === 0x08) this.#keys = this.#keys.slice(0, -1);
    else if (this.#keys.length < 4096) this.#keys += String.fromCharCode(b);
  }

  async #decide(enter: Buffer): Promise<void> {
    let outcome: LineOutcome;
    try {
      await this.#echo();
      const screen = await this.#screen.line();
      if (screen === undefined) return this.#done(enter, 'pass'); // a full-screen program's Enter: not a command line
      const keys = Buffer.from(this.#keys, 'latin1').toString('utf8').replace(ESCAPES, '').replace(/[\x00-\x1f\x7f]/g, '');
      this.#abort = new AbortController();
      outcome = await this.#judge({ screen, keys }, this.#abort.signal);
    } catch {
      outcome = 'cancel'; // fail closed: a line that could not be decided does not run
    }
    this.#done(enter, outcome);
  }

  #done(enter: Buffer, outcome: LineOutcome): void {
    this.#abort = undefined;
    this.#atLineStart = true;
    this.#keys = '';
    const queue = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    this.#busy = false;
    if (outcome === 'end') this.#ended = true;
    else if (outcome === 'cancel') this.stream.push(Buffer.from([ETX]));
    else {
      this.stream.push(enter);
      for (const chunk of queue) {
        if (this.#busy) this.#hold(chunk);
        else this.#run(chunk);
      }
    }
    if (!this.#busy && this.#idle) this.#idle();
  }

  /** Waits for the echo of keys sent just before the Enter (a paste, a fast typist), at most ECHO_WAIT_MS. */
  async #echo(): Promise<void> {
    const deadline = this.#lastKeyAt + ECHO_WAIT_MS;
    if (this.#outputSinceKey || Date.now() >= deadline) return;
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const cap = setTimeout(done, deadline - Date.now());
      function done() {
        clearTimeout(cap);
        clearTimeout(quiet);
        resolve();
      }
      this.#outputWaiter = () => {
        clearTimeout(quiet);
        quiet = setTimeout(done, ECHO_QUIET_MS);
      };
    });
    this.#outputWaiter = undefined;
  }
}
