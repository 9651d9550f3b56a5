// Legacy scp (`scp -O`) runs `scp -t DIR` (upload) or `scp -f PATH` (download) and speaks a small protocol on the
// data stream: "C<mode> <size> <name>\n", then size bytes, then a 0 byte. This passive parser reports each file with
// its size and sha256, so legacy scp is recorded as file operations just like sftp. Pure.
import { createHash, type Hash } from 'node:crypto';
import type { FileOp } from './file-ops.js';

/** Which direction carries the files for an exec command, or undefined if it is not scp. */
export function scpMode(command: string): { op: 'write' | 'read'; path: string } | undefined {
  const m = /^\s*scp\s+((?:-[a-zA-Z]+\s+)*)-?([tf])?/.exec(command);
  if (!m) return undefined;
  const flags = command.trim().split(/\s+/).slice(1);
  const path = flags.filter((f) => !f.startsWith('-')).pop() ?? '.';
  if (flags.some((f) => f.startsWith('-') && f.includes('t'))) return { op: 'write', path };
  if (flags.some((f) => f.startsWith('-') && f.includes('f'))) return { op: 'read', path };
  return undefined;
}

export class ScpTracker {
  #op: 'write' | 'read';
  #dir: string;
  #emit: (op: FileOp) => void;
  #line = '';
  #file: { name: string; remaining: number; size: number; hash: Hash } | undefined;
  #dirs: string[] = [];

  constructor(mode: { op: 'write' | 'read'; path: string }, emit: (op: FileOp) => void) {
    this.#op = mode.op;
    this.#dir = mode.path;
    this.#emit = emit;
  }

  /** Feed the stream that carries the files: client input for uploads, target output for downloads. */
  data(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.#file && this.#file.remaining > 0) {
        const take = Math.min(this.#file.remaining, chunk.length - p);
        this.#file.hash.update(chunk.subarray(p, p + take));
        this.#file.remaining -= take;
        p += take;
        if (this.#file.remaining === 0) {
          const f = this.#file;
          this.#file = undefined;
          const path = [this.#dir, ...this.#dirs, f.name].join('/').replace(/\/+/g, '/');
          this.#emit({ op: this.#op, path, bytes: f.size, sha256: f.hash.digest('hex'), result: 'ok' });
        }
        continue;
      }
      const byte = chunk[p++]!;
      if (this.#line === '' && (byte === 0 || byte === 1 || byte === 2)) continue; // acks and the end-of-file 0 byte
      if (byte !== 0x0a) {
        if (this.#line.length < 4096) this.#line += String.fromCharCode(byte);
        continue;
      }
      this.#directive(this.#line);
      this.#line = '';
    }
  }

  #directive(line: string): void {
    const c = /^C[0-7]{4} (\d+) (.+)$/.exec(line);
    if (c) {
      this.#file = { name: Buffer.from(c[2]!, 'latin1').toString('utf8'), remaining: Number(c[1]), size: Number(c[1]), hash: createHash('sha256') };
      if (this.#file.size === 0) {
        const path = [this.#dir, ...this.#dirs, this.#file.name].join('/').replace(/\/+/g, '/');
        this.#emit({ op: this.#op, path, bytes: 0, sha256: this.#file.hash.digest('hex'), result: 'ok' });
        this.#file = undefined;
      }
      return;
    }
    const d = /^D[0-7]{4} \d+ (.+)$/.exec(line);
    if (d) this.#dirs.push(d[1]!);
    else if (line === 'E') this.#dirs.pop();
  }
}
