// What the bastions recorded, read back for the concurrency check: the output stream of each recording made since a
// mark. fumidai: the "o" events of its asciicast files (exact bytes, "b" events included); the script bastion: the
// body of each `script --log-out` file (after its "Script started" line).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCast, rawBytes } from '../../src/recording/asciicast.js';

function filesUnder(dir: string, ext: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(filesUnder(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

function sinceMark(dir: string, ext: string, read: (path: string) => Buffer) {
  let before = new Set<string>();
  return {
    mark: () => void (before = new Set(filesUnder(dir, ext))),
    recorded: () => filesUnder(dir, ext).filter((p) => !before.has(p)).map(read),
  };
}

export function castOutputs(recordingsDir: string) {
  return sinceMark(recordingsDir, '.cast', (p) => Buffer.concat(rawBytes(parseCast(readFileSync(p, 'utf8')).events).map((e) => e.data)));
}

export function scriptOutputs(logDir: string) {
  return sinceMark(logDir, '.log', (p) => {
    const text = readFileSync(p);
    return text.subarray(text.indexOf('\n') + 1);
  });
}
