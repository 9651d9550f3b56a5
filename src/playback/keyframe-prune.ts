// Keyframe files of recordings gone from this node are removed: a file is kept while the recording it was made from
// is still here (the recording's own file, or a copy fetched back from the bucket, named by its sha256, in one of
// `copies`), so the keyframes take no more room than the recordings kept here do. Only the head of each file is read:
// its recording's path comes first. A file whose path cannot be read (made before the path was kept, cut short) goes
// too: it is made again at the next view.
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

const SIDECAR = /^([0-9a-f]{64})\.json$/;
const HEAD = /^\{"version":\d+,"path":("(?:[^"\\]|\\.)*")/;

/** The recording path a keyframe file names, from its first bytes; undefined when it names none. */
export function pathOfHead(head: string): string | undefined {
  const m = HEAD.exec(head);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as string;
  } catch {
    return undefined;
  }
}

async function headOf(file: string): Promise<string> {
  const f = await open(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await f.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await f.close();
  }
}

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false);

/** Removes the keyframe files in `dir` whose recording is gone; the number removed. */
export async function pruneKeyframes(dir: string, copies: string[] = []): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    const sha256 = SIDECAR.exec(name)?.[1];
    if (!sha256) continue;
    const file = join(dir, name);
    const path = await headOf(file).then(pathOfHead, () => undefined);
    if (path && (await isFile(path))) continue;
    let copy = false;
    for (const d of copies) if (!copy) copy = (await isFile(join(d, `${sha256}.cast`)));
    if (copy) continue;
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

/** Prunes now and then every `everyMs` (a day by default); the returned function stops it. */
export function startKeyframePruning(dir: string, copies: string[], onError: (err: Error) => void, everyMs = 24 * 3600 * 1000): () => void {
  const run = () => void pruneKeyframes(dir, copies).catch(onError);
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
