// File copy through a route with the stock scp (OpenSSH 9 speaks SFTP underneath): a random source file, so
// compression cannot help, copied into a directory on the target's disk that its login may write, then checked and
// removed. The target runs on this machine, so the copy is checked on the local file system.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../test/helpers/proc.js';
import { LOGIN } from '../../test/helpers/sshd.js';
import { timed } from './measure.js';

export interface ScpSource {
  path: string;
  bytes: number;
  sha256: string;
}

export async function sha256File(path: string): Promise<string> {
  const r = await run('sha256sum', [path]);
  if (r.code !== 0) throw new Error(`sha256sum ${path} failed: ${r.stderr.trim()}`);
  return r.stdout.split(' ')[0]!;
}

/** `mb` MiB from /dev/urandom in `dir`, with its sha256. */
export async function makeScpSource(dir: string, mb: number): Promise<ScpSource> {
  const path = join(dir, 'scp-source.bin');
  await timed('head', ['-c', `${mb}M`, '/dev/urandom'], { stdoutTo: path });
  return { path, bytes: statSync(path).size, sha256: await sha256File(path) };
}

/** A directory the target's login (LOGIN) writes into, inside the target's own temp dir (removed when it stops). */
export function scpDestDir(targetDir: string): string {
  const dir = join(targetDir, 'scp');
  mkdirSync(dir, { recursive: true });
  execFileSync('chown', [LOGIN, dir]);
  return dir;
}

/**
 * Seconds of wall time for `scp -F ... SRC HOST:DEST/copy`; then the copy's size is checked (and its sha256 when
 * `checkSha`, outside the timing) and the copy removed, so every run writes a new file.
 */
export async function scpOnce(configArgs: string[], host: string, src: ScpSource, destDir: string, checkSha: boolean): Promise<number> {
  const dest = join(destDir, 'copy.bin');
  rmSync(dest, { force: true });
  try {
    const seconds = await timed('scp', [...configArgs, '-q', src.path, `${host}:${dest}`]);
    const size = statSync(dest).size;
    if (size !== src.bytes) throw new Error(`scp to ${host} left ${size} bytes instead of ${src.bytes}`);
    if (checkSha && (await sha256File(dest)) !== src.sha256) throw new Error(`scp to ${host}: the copy's sha256 differs from the source's`);
    return seconds;
  } finally {
    rmSync(dest, { force: true });
  }
}
