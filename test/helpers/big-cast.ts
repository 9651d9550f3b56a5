// A large asciicast v2 recording written directly (no session needed to produce a gigabyte): a build log's worth of
// coloured lines, cursor moves to a status corner and back, progress lines redrawn in place, an occasional pause, and
// a marker line last. Hashed as it is written, so the index can be given the sha256 a sealed recording would have.
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

const ESC = '\\u001b';
/** Event data, already escaped for JSON; `#` is replaced by a counter. */
const TEMPLATES = [
  `${ESC}[1;32mbuild@web1${ESC}[0m:${ESC}[1;34m~/src${ESC}[0m$ make -j4 target-#\\r\\n`,
  `  CC      lib/module_#.o\\r\\n  CC      lib/helper_#.o\\r\\n  LD      bin/tool_#\\r\\n`,
  `${ESC}[2K\\rprogress: # objects, ${ESC}[33mwarnings: 0${ESC}[0m`,
  `\\r\\n${ESC}[s${ESC}[1;60H${ESC}[7m job # ${ESC}[0m${ESC}[u`,
  `test_case_# ... ${ESC}[32mok${ESC}[0m (12 ms)\\r\\ntest_case_#_b ... ${ESC}[32mok${ESC}[0m (3 ms)\\r\\n`,
  `Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor # incididunt ut labore\\r\\n`,
  `${ESC}[31mwarning:${ESC}[0m unused variable 'x#' [-Wunused-variable]\\r\\n   12 |     int x# = 0;\\r\\n      |         ^\\r\\n`,
];

export interface BigCast {
  size: number;
  sha256: string;
  events: number;
  /** The text of the last event (a line the screen shows at the end). */
  lastMarker: string;
  durationSec: number;
}

export function writeBigCast(path: string, targetBytes: number, header: Record<string, unknown>): BigCast {
  const fd = openSync(path, 'w');
  const hash = createHash('sha256');
  let size = 0;
  const put = (text: string) => {
    const b = Buffer.from(text, 'utf8');
    hash.update(b);
    writeSync(fd, b);
    size += b.length;
  };
  try {
    put(JSON.stringify({ version: 2, ...header }) + '\n');
    let ms = 0;
    let n = 0;
    const stopAt = targetBytes - 256;
    const parts = TEMPLATES.map((t) => t.split('#'));
    const cache: string[] = [];
    while (size < stopAt) {
      const batch: string[] = [];
      let length = 0;
      while (length < 8 << 20 && size + length < stopAt) {
        ms += n % 20_000 === 19_999 ? 20_000 : 9; // a 20 s pause now and then, for idle skipping
        // An event of 6 to 14 lines' worth of output, as a busy terminal's reads come; 4096 of them, repeated.
        let data = cache[n % 4096];
        if (data === undefined) {
          data = '';
          for (let j = 0; j < 6 + (n % 9); j++) data += parts[(n + j) % parts.length]!.join(String(n * 16 + j));
          cache[n % 4096] = data;
        }
        const line = `[${(ms / 1000).toFixed(3)}, "o", "${data}"]\n`;
        batch.push(line);
        length += line.length;
        n++;
      }
      put(batch.join(''));
    }
    const lastMarker = `LAST-MARKER-${n}-END`;
    ms += 500;
    put(`[${(ms / 1000).toFixed(3)}, "o", "\\r\\n${lastMarker}\\r\\n"]\n`);
    return { size, sha256: hash.digest('hex'), events: n + 1, lastMarker, durationSec: ms / 1000 };
  } finally {
    closeSync(fd);
  }
}
