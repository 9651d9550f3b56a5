// What is typed at a prompt that does not echo (a password for sudo, `read -s`) must not reach the recording in clear.
// fumidai is a relay and cannot see the target's terminal modes, so it infers them from the two byte streams: a line
// of input is held back from the recording (never from the target) until the target shows its characters, and a
// line that ends (Enter, Ctrl-C, Ctrl-D) without them ever coming back is recorded as a length only.
//
// The rule, byte by byte (so it decides the same however the streams are cut into chunks):
// - A printable byte typed at a line not known to echo starts holding the line; bytes before it (arrows, Ctrl keys)
//   pass, having nothing to hide. Escape sequences (arrow and function keys, Alt+key) are not printable.
// - A burst is what is typed between two pieces of output. The line echoes once the last ECHO_MATCH printable bytes
//   of its current burst appear in the output after them, in a row (the output's escape sequences and control bytes
//   skipped: colours, cursor moves, CR LF of a wrapped line). Then all of it is recorded as typed and the rest of the
//   line passes straight.
// - Input after output closes the burst: the keys before it were answered without being shown (a full-screen app's
//   commands, or `*` for each key), and matching starts again with the new keys, unless an echo is under way (the
//   output ends with the start of the burst: a slow link).
// - A line that ended is still waiting for the echo of its last burst (a paste, or keys typed ahead of a slow link):
//   it is recorded as typed if the echo comes, and as not echoed once input follows other output, after SCAN_BYTES
//   of output without it, or when the recording closes.
// - More than HELD_BYTES held back (a big paste before any echo) is recorded as typed: a paste is not a password.
// So a line typed at a shell, in cat, or pasted, is echoed and kept; keys of a full-screen app pass once a later key
// shows (vim's `:`); only a line ended without any of its last keys shown is hidden.

/** Printable bytes of a burst that must appear in the output, in a row (the last ones typed). A power of two. */
export const ECHO_MATCH = 8;
const RING_MASK = ECHO_MATCH - 1;
/** Output bytes looked at for one burst's echo: past them it was not echoed (and the hot path stays short). */
export const SCAN_BYTES = 8192;
/** Input held back at most; past it, what is held is recorded as typed. */
export const HELD_BYTES = 4096;

/** Input to record, in order: typed bytes as they came, or a line that was not echoed (its length and its end). */
export type Release = { t: number; bytes: Buffer } | { t: number; hidden: number; end: Buffer };

const CR = 0x0d;
const LF = 0x0a;
const ETX = 0x03;
const EOT = 0x04;
const ESC = 0x1b;
const NONE: Release[] = [];

/** Input byte kinds. */
const OTHER = 0;
const PRINTABLE = 1;
const LINE_END = 2;

interface Part {
  bytes: Buffer;
  t: number;
}

class Line {
  parts: Part[] = [];
  /** Bytes held, the end included. */
  size = 0;
  printables = 0;
  /** The last ECHO_MATCH printable bytes of the current burst: what the echo would show. */
  target: number[] = [];
  end: Part | undefined;
}

export class EchoGate {
  #queue: Line[] = [];
  /** The line being typed is known to echo: its bytes pass straight until it ends. */
  #echoing = false;
  #held = 0;
  #inEsc = 0;
  #outEsc = 0;
  /** The last ECHO_MATCH output printable bytes, for the head line's match: a ring, #ringAt bytes written into it. */
  #ring = new Uint8Array(ECHO_MATCH);
  #ringAt = 0;
  /** Output came since the last input byte. */
  #outSince = false;
  #scanned = 0;

  /** True while input is held back. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Takes typed bytes (at time `t`); returns what may be recorded now. */
  input(chunk: Buffer, t: number): Release[] {
    const out: Release[] = [];
    let from = 0;
    let straight = true;
    const place = (to: number): void => {
      if (to > from) {
        const bytes = chunk.subarray(from, to);
        if (straight) out.push({ t, bytes });
        else this.#hold(bytes, t);
      }
      from = to;
    };
    for (let i = 0; i < chunk.length; i++) {
      if (this.#outSince) {
        place(i);
        this.#closeBurst(out);
      }
      const kind = this.#classify(chunk[i]!);
      let queued = this.#queue.length > 0;
      if (!queued && this.#echoing) {
        if (kind === LINE_END) this.#echoing = false;
      } else if (!queued && kind === PRINTABLE) queued = true;
      if (queued === straight) {
        place(i);
        straight = !queued;
      }
      if (!queued) continue;
      let tail = this.#queue.at(-1);
      if (!tail || tail.end) {
        place(i);
        tail = new Line();
        this.#queue.push(tail);
      }
      this.#held++;
      if (kind === PRINTABLE) {
        tail.printables++;
        tail.target.push(chunk[i]!);
        if (tail.target.length > ECHO_MATCH) tail.target.shift();
      } else if (kind === LINE_END) {
        place(i);
        tail.end = { bytes: chunk.subarray(i, i + 1), t };
        tail.size++;
        from = i + 1;
        this.#settle(out);
      }
      if (this.#held > HELD_BYTES) {
        place(i + 1);
        this.#overflow(out);
      }
    }
    place(chunk.length);
    return out;
  }

  /** Takes output on its way to the user; returns the input to record before it. */
  output(chunk: Buffer): Release[] {
    if (!this.#queue.length) return NONE;
    this.#outSince = true;
    let out = NONE;
    // The loop runs only while a key waits for its echo, at most SCAN_BYTES per burst; its state is re-read after a decision.
    let target = this.#queue[0]!.target;
    for (let i = 0; i < chunk.length && target.length; i++) {
      if (++this.#scanned > SCAN_BYTES) {
        if (out === NONE) out = [];
        this.#notEchoed(this.#queue[0]!, out);
        target = this.#queue[0]?.target ?? [];
        continue;
      }
      const b = chunk[i]!;
      if (this.#outEsc || b < 0x20 || b === 0x7f) {
        if (!this.#outPrintable(b)) continue;
      }
      this.#ring[this.#ringAt++ & RING_MASK] = b;
      if (b === target[target.length - 1] && this.#ringEndsWith(target, target.length)) {
        if (out === NONE) out = [];
        this.#echoed(out);
        target = this.#queue[0]?.target ?? [];
      }
    }
    return out;
  }

  /** The recording closes: lines that ended unechoed are hidden, an unfinished line is recorded as typed. */
  end(): Release[] {
    const out: Release[] = [];
    while (this.#queue.length) {
      const head = this.#queue[0]!;
      if (head.end && head.printables) this.#release(out, true);
      else this.#release(out, false);
    }
    return out;
  }

  #classify(b: number): number {
    switch (this.#inEsc) {
      case 1:
        this.#inEsc = b === 0x5b ? 2 : b === 0x4f ? 3 : 0;
        return OTHER;
      case 2:
        if (b >= 0x40 && b <= 0x7e) this.#inEsc = 0;
        return OTHER;
      case 3:
        this.#inEsc = 0;
        return OTHER;
    }
    if (b === ESC) {
      this.#inEsc = 1;
      return OTHER;
    }
    if (b === CR || b === LF || b === ETX || b === EOT) return LINE_END;
    return b >= 0x20 && b !== 0x7f ? PRINTABLE : OTHER;
  }

  /** Whether an output byte is shown text, skipping escape sequences (CSI, OSC/DCS strings, charset picks). */
  #outPrintable(b: number): boolean {
    switch (this.#outEsc) {
      case 1: // after ESC
        this.#outEsc = b === 0x5b ? 2 : b === 0x5d || b === 0x50 || b === 0x5f || b === 0x5e ? 4 : b >= 0x20 && b <= 0x2f ? 3 : 0;
        return false;
      case 2: // CSI, up to its final byte
        if (b >= 0x40 && b <= 0x7e) this.#outEsc = 0;
        return false;
      case 3: // one more byte
        this.#outEsc = 0;
        return false;
      case 4: // a string, up to BEL or ESC \
        if (b === 0x07) this.#outEsc = 0;
        else if (b === ESC) this.#outEsc = 5;
        return false;
      case 5:
        this.#outEsc = b === 0x5c ? 0 : 4;
        return false;
    }
    if (b === ESC) {
      this.#outEsc = 1;
      return false;
    }
    return b >= 0x20 && b !== 0x7f;
  }

  #hold(bytes: Buffer, t: number): void {
    const tail = this.#queue.at(-1)!;
    tail.parts.push({ bytes, t });
    tail.size += bytes.length;
  }

  /** Input after output: the head's burst was answered; unless its echo is under way, it was not echoed. */
  #closeBurst(out: Release[]): void {
    this.#outSince = false;
    this.#scanned = 0;
    this.#outEsc = 0;
    const head = this.#queue[0];
    if (!head || this.#echoUnderWay(head.target)) return;
    this.#notEchoed(head, out);
  }

  #notEchoed(head: Line, out: Release[]): void {
    head.target = [];
    this.#ringAt = 0;
    this.#settle(out);
  }

  #echoed(out: Release[]): void {
    const open = !this.#queue[0]!.end;
    this.#release(out, false);
    if (open) this.#echoing = true; // the open line is the last one: what follows of it passes
    this.#settle(out);
  }

  /** Decides the ended lines at the head that need no more output: no printable byte, or no echo left to wait for. */
  #settle(out: Release[]): void {
    for (let head = this.#queue[0]; head?.end && (!head.printables || !head.target.length); head = this.#queue[0]) {
      this.#release(out, head.printables > 0);
    }
  }

  #overflow(out: Release[]): void {
    while (this.#held > HELD_BYTES && this.#queue.length) {
      const open = !this.#queue[0]!.end;
      this.#release(out, false);
      if (open) this.#echoing = true;
    }
    this.#settle(out);
  }

  /** Whether the output's last printable bytes are the first `n` bytes of `target`. */
  #ringEndsWith(target: number[], n: number): boolean {
    if (this.#ringAt < n) return false;
    for (let k = 0; k < n; k++) if (this.#ring[(this.#ringAt - n + k) & RING_MASK] !== target[k]) return false;
    return true;
  }

  /** The output so far ends with the start of the burst: its echo has begun and may go on. */
  #echoUnderWay(target: number[]): boolean {
    for (let n = Math.min(target.length - 1, this.#ringAt); n > 0; n--) if (this.#ringEndsWith(target, n)) return true;
    return false;
  }

  /** Records the head line: as typed, or hidden behind its length. */
  #release(out: Release[], hide: boolean): void {
    const line = this.#queue.shift()!;
    this.#held -= line.size;
    this.#ringAt = 0;
    this.#scanned = 0;
    if (hide && line.end) out.push({ t: line.end.t, hidden: line.size - line.end.bytes.length, end: line.end.bytes });
    else {
      // Pieces typed at the same moment (a chunk cut at its Enter) go back together: one event, as before the hold.
      const parts = line.end ? [...line.parts, line.end] : line.parts;
      for (let i = 0; i < parts.length; ) {
        let j = i + 1;
        while (j < parts.length && parts[j]!.t === parts[i]!.t) j++;
        out.push(j - i === 1 ? parts[i]! : { t: parts[i]!.t, bytes: Buffer.concat(parts.slice(i, j).map((p) => p.bytes)) });
        i = j;
      }
    }
  }
}


/** The text recorded in place of a line that was not echoed. */
export function hiddenMarker(bytes: number): string {
  return `[input not echoed: ${bytes} bytes]`;
}
