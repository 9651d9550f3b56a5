// Full-text search must find what was on the screen, not raw bytes full of escape sequences and redraws: the
// recorded output is replayed through a headless terminal emulator (@xterm/headless) and the visible screen is taken
// as text before each command the user entered (and at the end), with its time offset. Runs after a recording is
// sealed, off the relay's path.
import { readFile } from 'node:fs/promises';
import xterm from '@xterm/headless';
import { parseCast } from './asciicast.js';

export interface ScreenSnapshot {
  offset: number;
  text: string;
}

/** Cap on output fed to the emulator per recording, so a 200 MB `cat` does not spend minutes in indexing. */
const MAX_INDEXED_OUTPUT = 16 * 1024 * 1024;

export async function screenSnapshots(castText: string): Promise<ScreenSnapshot[]> {
  const { header, events } = parseCast(castText);
  const term = new xterm.Terminal({ cols: Number(header.width) || 80, rows: Number(header.height) || 24, allowProposedApi: true, scrollback: 0 });
  const write = (data: string) => new Promise<void>((resolve) => term.write(data, resolve));
  const snapshots: ScreenSnapshot[] = [];
  let fed = 0;
  let pending = '';
  let last = '';
  const snap = async (offset: number) => {
    if (pending) await write(pending);
    pending = '';
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    const text = lines.join('\n').trim();
    if (text && text !== last) snapshots.push({ offset, text });
    last = text;
  };
  for (const e of events) {
    if (e.type === 'o' && fed < MAX_INDEXED_OUTPUT) {
      pending += e.data;
      fed += e.data.length;
    } else if (e.type === 'r') {
      const [cols, rows] = e.data.split('x').map(Number);
      if (pending) await write(pending);
      pending = '';
      if (cols && rows) term.resize(cols, rows);
    } else if (e.type === 'i' && /[\r\n]/.test(e.data)) {
      await snap(e.time);
    }
  }
  await snap(events.at(-1)?.time ?? 0);
  term.dispose();
  return snapshots;
}

export async function screenSnapshotsOfFile(path: string): Promise<ScreenSnapshot[]> {
  return screenSnapshots(await readFile(path, 'utf8'));
}
