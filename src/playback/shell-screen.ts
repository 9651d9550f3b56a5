// The line a user submits at a terminal, as the screen shows it when they press Enter: what the shell's line editor
// drew after editing, history recall (up arrow), tab completion, in a headless terminal emulator (@xterm/headless, the
// one the screen index uses). The prompt is taken from the screen when the line's first key comes, and cut off the
// line at Enter where the line still starts with it.
//
// Cost: output passes through here on the relay's path, so it is only kept (the last WINDOW bytes) and fed to the
// emulator when a line starts or ends; a 200 MB `cat` costs a list push per chunk. What a screen shows is redrawn
// within its last few kB, so the window's tail is enough for a shell's prompt and line.
import xterm from '@xterm/headless';

/** Output kept unfed at most (whole chunks, oldest dropped first). */
export const WINDOW = 16 * 1024;
/** Rows of scrollback: a long line wrapped past the bottom of the screen is still whole. */
const SCROLLBACK = 200;

export class ShellScreen {
  #term: xterm.Terminal;
  #unfed: Buffer[] = [];
  #unfedBytes = 0;
  /** Writes and reads in the order they were asked. */
  #chain: Promise<unknown> = Promise.resolve();
  #prompt: Promise<string> = Promise.resolve('');
  /** Prompts seen before (most recent first): a key typed before the prompt was drawn puts it after the key's echo. */
  #known: string[] = [];

  constructor(cols: number, rows: number) {
    this.#term = new xterm.Terminal({ cols: cols || 80, rows: rows || 24, scrollback: SCROLLBACK, allowProposedApi: true });
  }

  /** Output on its way to the user. Cheap: kept for the next feed. */
  output(chunk: Buffer): void {
    this.#unfed.push(chunk);
    this.#unfedBytes += chunk.length;
    while (this.#unfed.length > 1 && this.#unfedBytes - this.#unfed[0]!.length >= WINDOW) this.#unfedBytes -= this.#unfed.shift()!.length;
  }

  resize(cols: number, rows: number): void {
    const data = this.#take();
    void this.#then(async () => {
      await this.#write(data);
      this.#term.resize(cols || 80, rows || 24);
    });
  }

  /** The first key of a line comes (before its echo): the screen's line up to the cursor is the prompt. */
  lineStarts(): void {
    const data = this.#take(); // what the screen shows now, before this key's echo
    this.#prompt = this.#then(async () => {
      await this.#write(data);
      const b = this.#term.buffer.active;
      const prompt = this.#logicalLine(b.baseY + b.cursorY, b.cursorX).text;
      if (PROMPT_END.test(prompt) && this.#known[0] !== prompt) this.#known = [prompt, ...this.#known.filter((p) => p !== prompt)].slice(0, 4);
      return prompt;
    });
  }

  /** At Enter: the line at the cursor, without its prompt; undefined in a full-screen program (the alternate screen). */
  async line(): Promise<string | undefined> {
    const data = this.#take();
    const prompt = this.#prompt;
    return this.#then(async () => {
      await this.#write(data);
      const b = this.#term.buffer.active;
      if (b.type === 'alternate') return undefined; // vim, less, top: an Enter there is not a command line
      return withoutPrompt(this.#logicalLine(b.baseY + b.cursorY).text.trimEnd(), await prompt, this.#known);
    });
  }

  dispose(): void {
    void this.#chain.then(() => this.#term.dispose());
  }

  #then<T>(step: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(step);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  #take(): Buffer | undefined {
    if (!this.#unfedBytes) return undefined;
    const data = Buffer.concat(this.#unfed, this.#unfedBytes);
    this.#unfed = [];
    this.#unfedBytes = 0;
    return data;
  }

  /**
   * Parses at once where the emulator allows it: its public write() waits for a timer (1 ms or more) and an Enter
   * waits for this. The synchronous path is xterm's own (its tests use it), reached behind its public API; without
   * it, the public write.
   */
  #write(data: Buffer | undefined): Promise<void> {
    if (!data) return Promise.resolve();
    const buffer = (this.#term as unknown as { _core?: { _writeBuffer?: { writeSync?(d: Uint8Array): void } } })._core?._writeBuffer;
    if (typeof buffer?.writeSync === 'function') {
      buffer.writeSync(data);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#term.write(data, resolve));
  }

  /** The rows a wrapped line spans around buffer row `y`, as one text (up to column `upTo` of row `y`, if given). */
  #logicalLine(y: number, upTo?: number): { text: string } {
    const b = this.#term.buffer.active;
    let top = y;
    while (top > 0 && b.getLine(top)?.isWrapped) top--;
    let bottom = y;
    if (upTo === undefined) while (b.getLine(bottom + 1)?.isWrapped) bottom++;
    let text = '';
    for (let r = top; r <= bottom; r++) {
      const row = b.getLine(r);
      if (!row) break;
      text += r === y && upTo !== undefined ? row.translateToString(false, 0, upTo) : row.translateToString(r === bottom);
    }
    return { text };
  }
}

/** Readline's history search draws its own prompt in place of the shell's until the line is accepted. */
const ISEARCH = /^\((?:failed )?(?:reverse-)?i-search\)`[^`]*': /;

/** The line without the prompt it started after; unchanged where the line no longer starts with it (a redrawn screen). */
export function withoutPrompt(line: string, prompt: string, known: readonly string[] = []): string {
  const search = ISEARCH.exec(line);
  if (search) return line.slice(search[0].length);
  if (prompt && line.startsWith(prompt)) return line.slice(prompt.length);
  if (prompt && line === prompt.trimEnd()) return '';
  // Keys typed ahead of the prompt: the terminal echoed them, then the shell drew its prompt after them.
  for (const p of known) {
    const at = line.indexOf(p);
    if (at >= 0) return line.slice(at + p.length);
  }
  return line;
}

/** What a prompt ends with, to be remembered as one ($ # > %, then spaces). */
const PROMPT_END = /[$#>%]\s*$/;
