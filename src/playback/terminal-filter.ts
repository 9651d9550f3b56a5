// What a recording may do to the auditor's terminal during a replay: draw (text, colors, cursor movement, modes), but
// not write the clipboard (OSC 52), set the title, plant links (OSC 8) or send anything the terminal would act on or
// answer (DCS such as DECRQSS, device status and attribute reports, window operations): an answer is typed into the
// auditor's shell as if they had typed it. A streaming state machine, fed the recording's pieces in order. Pure.

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;

const enum State {
  Ground,
  Escape,
  Csi,
  /** An OSC, DCS, SOS, PM or APC string: dropped up to its terminator. */
  Str,
  /** ESC inside a string: ESC \ ends it, anything else ends it and starts a new sequence. */
  StrEscape,
  /** 0xC2 in ground: with 0x80-0x9F it is a C1 control in UTF-8 (CSI, OSC, DCS as one character), dropped. */
  Lead,
}

/** Longest control sequence kept; a longer one is dropped (no terminal needs it, and it bounds what is held). */
const MAX_CSI = 64;

/** Whether a complete CSI (parameters, intermediates and final byte, without ESC [) asks the terminal to answer or act outside the screen. */
export function isReportingCsi(body: Buffer): boolean {
  const final = String.fromCharCode(body[body.length - 1]!);
  const text = body.subarray(0, body.length - 1).toString('latin1');
  const prefix = text[0] ?? '';
  const intermediates = text.replace(/[\x30-\x3f]/g, '');
  if ('ncxti'.includes(final)) return true; // DSR (5n, 6n), DA1-3, DECREQTPARM, window ops and reports, media copy
  if (intermediates.includes('$') && 'pwu'.includes(final)) return true; // DECRQM, DECRQPSR, DECRQTSR
  if (prefix === '>' && final === 'q') return true; // XTVERSION
  if (prefix === '?' && 'umS'.includes(final)) return true; // keyboard protocol, modifier and graphics queries
  return false;
}

export class TerminalFilter {
  #state = State.Ground;
  #csi: number[] = [];

  /** The bytes of one piece of output that may reach the terminal. */
  push(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + MAX_CSI + 3); // what a piece adds to its own bytes: a held ESC [ and CSI
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.#state) {
        case State.Ground:
          if (b === ESC) this.#state = State.Escape;
          else if (b === 0xc2) this.#state = State.Lead;
          else out[n++] = b;
          break;
        case State.Lead:
          this.#state = State.Ground;
          if (b >= 0x80 && b <= 0x9f) break;
          out[n++] = 0xc2;
          i--; // the next byte as in ground
          break;
        case State.Escape:
          this.#state = State.Ground;
          if (b === 0x5b) {
            this.#state = State.Csi;
            this.#csi = [];
          } else if (b === 0x5d || b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f) this.#state = State.Str; // ] P X ^ _
          else if (b === ESC) this.#state = State.Escape;
          else if (b !== 0x5a && b !== CAN && b !== SUB) { // ESC Z is DECID, an identification request
            out[n++] = ESC;
            out[n++] = b;
          }
          break;
        case State.Csi:
          if (b >= 0x20 && b <= 0x3f) {
            this.#csi.push(b);
            if (this.#csi.length > MAX_CSI) this.#state = State.Ground; // dropped; the rest shows as text
          } else if (b >= 0x40 && b <= 0x7e) {
            this.#csi.push(b);
            const body = Buffer.from(this.#csi);
            if (!isReportingCsi(body)) {
              out[n++] = ESC;
              out[n++] = 0x5b;
              n += body.copy(out, n);
            }
            this.#state = State.Ground;
          } else {
            this.#state = State.Ground; // a control byte inside: the sequence is dropped, the byte taken as in ground
            if (b !== CAN && b !== SUB) i--;
          }
          break;
        case State.Str:
          if (b === BEL || b === CAN || b === SUB) this.#state = State.Ground;
          else if (b === ESC) this.#state = State.StrEscape;
          break;
        case State.StrEscape:
          if (b === 0x5c) this.#state = State.Ground; // ST
          else {
            this.#state = State.Escape; // the string ended; this ESC starts a sequence
            i--;
          }
          break;
      }
    }
    return Buffer.from(out.subarray(0, n));
  }
}
