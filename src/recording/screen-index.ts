// Full-text search must find what was on the screen, not raw bytes full of escape sequences and redraws: the
// recorded output is replayed through a headless terminal emulator (@xterm/headless) and the visible screen is taken
// as text before each command the user entered (and at the end), with its time offset. Runs after a recording is
// sealed, off the relay's path.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import xterm from '@xterm/headless';

export interface ScreenSnapshot {
  offset: number;
  text: string;
}

/** Cap on output fed to the emulator per recording, so a 200 MB `cat` does not spend minutes in indexing. */
const MAX_INDEXED_OUTPUT = 16 * 1024 * 1024;

/** Snapshots from the lines of an asciicast file, read one by one so a huge recording never sits in memory. */
export async function screenSnapshots(lines: AsyncIterable<string> | Iterable<string>): Promise<ScreenSnapshot[]> {
  let term: xterm.Terminal | undefined;
  const write = (data: string) => new Promise<void>((resolve) => term!.write(data, resolve));
  const snapshots: ScreenSnapshot[] = [];
  let fed = 0;
  let pending = '';
  let last = '';
  let lastTime = 0;
  const snap = async (offset: number) => {
    if (pending) await write(pending);
    pending = '';
    const buffer = term!.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < term!.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    const text = rows.join('\n').trim();
    if (text && text !== last) snapshots.push({ offset, text });
    last = text;
  };
  for await (const line of lines) {
    if (!line) continue;
    if (!term) {
      const header = JSON.parse(line) as { version?: number; width?: number; height?: number };
      if (header.version !== 2) throw new Error('not an asciicast v2 file');
      term = new xterm.Terminal({ cols: header.width || 80, rows: header.height || 24, allowProposedApi: true, scrollback: 0 });
      continue;
    }
    // Past the cap, nothing new can appear on the emulated screen (a later snapshot would repeat the last one), so
    // the rest of the file is not read: after a 200 MB session that was most of the indexing's CPU.
    if (fed >= MAX_INDEXED_OUTPUT) break;
    let event: [number, string, string];
    try {
      event = JSON.parse(line) as [number, string, string];
    } catch {
      break; // a torn last line
    }
    const [time, type, data] = event;
    lastTime = time;
    if (type === 'o') {
      pending += data;
      fed += data.length;
      if (pending.length > 1 << 20) {
        await write(pending);
        pending = '';
      }
    } else if (type === 'r') {
      const [cols, rows] = data.split('x').map(Number);
      if (pending) await write(pending);
      pending = '';
      if (cols && rows) term.resize(cols, rows);
    } else if (type === 'i' && /[\r\n]/.test(data)) {
      await snap(time);
    }
  }
  if (!term) return [];
  await snap(lastTime);
  term.dispose();
  return snapshots;
}

export async function screenSnapshotsOfFile(path: string): Promise<ScreenSnapshot[]> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    return await screenSnapshots(lines);
  } finally {
    lines.close();
  }
}
