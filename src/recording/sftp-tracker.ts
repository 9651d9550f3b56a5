// A passive SFTP (v3) parser of both directions: it never changes a byte, it only watches requests and replies to
// turn open → read/write → close into "file X written, N bytes, sha256 S", and notes removes, renames, links, mkdirs
// and attribute changes with the result the server gave. Requests are matched to replies by id.
// Pure: fed chunks split anywhere, emits FileOps through a callback. Unit-tested without sockets.
import type { FileOp } from './file-ops.js';
import { FieldReader, PacketStream } from './sftp-packets.js';
import { TransferHash } from './transfer-hash.js';

const T = {
  INIT: 1, VERSION: 2, OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, SETSTAT: 9, FSETSTAT: 10, REMOVE: 13, MKDIR: 14, RMDIR: 15,
  RENAME: 18, SYMLINK: 20, EXTENDED: 200, STATUS: 101, HANDLE: 102, DATA: 103,
} as const;
const FXF_WRITE = 0x02;
const FX_OK = 0;
const FX_EOF = 1;

interface OpenFile {
  path: string;
  writeMode: boolean;
  read: TransferHash;
  write: TransferHash;
  /** The first failure the server reported for a read or write on this handle. */
  failure?: string;
}
type Pending =
  | { kind: 'open'; path: string; writeMode: boolean }
  | { kind: 'read'; handle: string; offset: bigint }
  | { kind: 'write'; handle: string }
  | { kind: 'close'; handle: string }
  | { kind: 'simple'; op: FileOp['op']; path: string; to?: string };

export class SftpTracker {
  #pending = new Map<number, Pending>();
  #files = new Map<string, OpenFile>();
  #fromClient = new PacketStream((p) => this.#safely(() => this.#request(p)));
  #fromServer = new PacketStream((p) => this.#safely(() => this.#reply(p)));
  #emit: (op: FileOp) => void;

  constructor(emit: (op: FileOp) => void) {
    this.#emit = emit;
  }

  /** Bytes the client sent toward the server. */
  clientData(chunk: Buffer): void {
    this.#fromClient.push(chunk);
  }

  /** Bytes the server sent back. */
  serverData(chunk: Buffer): void {
    this.#fromServer.push(chunk);
  }

  /** True once either direction stopped looking like SFTP: file operations after that point are not reported. */
  get lost(): boolean {
    return this.#fromClient.broken || this.#fromServer.broken;
  }

  /** Files still open when the channel ends are reported too, with that as their result. */
  end(): void {
    for (const file of this.#files.values()) this.#report(file, 'not closed: the channel ended first');
    this.#files.clear();
    this.#pending.clear();
  }

  #safely(parse: () => void): void {
    try {
      parse();
    } catch {
      // A malformed packet is the server's to refuse; the tracker just does not learn from it.
    }
  }

  #request(packet: Buffer): void {
    const r = new FieldReader(packet);
    const type = r.u8();
    if (type === T.INIT) return; // carries a version, not an id
    const id = r.u32();
    const simple = (op: FileOp['op'], path: string, to?: string) => this.#pending.set(id, { kind: 'simple', op, path, ...(to !== undefined ? { to } : {}) });
    switch (type) {
      case T.OPEN: {
        const path = r.str();
        this.#pending.set(id, { kind: 'open', path, writeMode: (r.u32() & FXF_WRITE) !== 0 });
        return;
      }
      case T.READ: {
        const handle = key(r.bytes());
        this.#pending.set(id, { kind: 'read', handle, offset: r.u64() });
        const file = this.#files.get(handle);
        if (file) file.read.touched = true; // read even if the file turns out empty
        return;
      }
      case T.WRITE: {
        const handle = key(r.bytes());
        const offset = r.u64();
        this.#files.get(handle)?.write.add(offset, r.bytes());
        this.#pending.set(id, { kind: 'write', handle });
        return;
      }
      case T.CLOSE:
        this.#pending.set(id, { kind: 'close', handle: key(r.bytes()) });
        return;
      case T.FSETSTAT: {
        const file = this.#files.get(key(r.bytes()));
        if (file) simple('setstat', file.path);
        return;
      }
      case T.SETSTAT: return void simple('setstat', r.str());
      case T.REMOVE: return void simple('remove', r.str());
      case T.MKDIR: return void simple('mkdir', r.str());
      case T.RMDIR: return void simple('rmdir', r.str());
      case T.RENAME: return void simple('rename', r.str(), r.str());
      case T.SYMLINK: {
        // OpenSSH sends (target, link), the reverse of the draft: it is the implementation everyone follows.
        const target = r.str();
        return void simple('symlink', r.str(), target);
      }
      case T.EXTENDED: {
        const name = r.str();
        if (name === 'posix-rename@openssh.com') simple('rename', r.str(), r.str());
        else if (name === 'hardlink@openssh.com') {
          const existing = r.str();
          simple('link', r.str(), existing);
        }
        return;
      }
    }
  }

  #reply(packet: Buffer): void {
    const r = new FieldReader(packet);
    const type = r.u8();
    if (type === T.VERSION) return;
    const id = r.u32();
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    const status = type === T.STATUS ? readStatus(r) : undefined;
    switch (pending.kind) {
      case 'open':
        if (type === T.HANDLE) {
          this.#files.set(key(r.bytes()), { path: pending.path, writeMode: pending.writeMode, read: new TransferHash(), write: new TransferHash() });
        } else if (status) {
          // A refused open is worth an audit line too: someone tried to read or write that file.
          this.#emit({ op: pending.writeMode ? 'write' : 'read', path: pending.path, bytes: 0, result: status.message });
        }
        return;
      case 'read': {
        const file = this.#files.get(pending.handle);
        if (!file) return;
        if (type === T.DATA) file.read.add(pending.offset, r.bytes());
        else if (status && status.code !== FX_OK && status.code !== FX_EOF) file.failure ??= status.message;
        return;
      }
      case 'write': {
        const file = this.#files.get(pending.handle);
        if (file && status && status.code !== FX_OK) file.failure ??= status.message;
        return;
      }
      case 'close': {
        const file = this.#files.get(pending.handle);
        if (!file) return;
        this.#files.delete(pending.handle);
        this.#report(file, file.failure ?? status?.message ?? 'ok');
        return;
      }
      case 'simple':
        if (status) this.#emit({ op: pending.op, path: pending.path, ...(pending.to !== undefined ? { to: pending.to } : {}), result: status.message });
        return;
    }
  }

  /** One operation per direction that moved bytes; a file opened for writing counts as written even if empty. */
  #report(file: OpenFile, result: string): void {
    const done = (op: 'read' | 'write', t: TransferHash) => {
      const sha256 = t.digest();
      this.#emit({ op, path: file.path, bytes: t.bytes, ...(sha256 ? { sha256 } : {}), result });
    };
    if (file.writeMode || file.write.touched) done('write', file.write);
    if (file.read.touched) done('read', file.read);
  }
}

function key(handle: Buffer): string {
  return handle.toString('hex');
}

function readStatus(r: FieldReader): { code: number; message: string } {
  const code = r.u32();
  if (code === FX_OK) return { code, message: 'ok' };
  let text = '';
  try {
    text = r.str();
  } catch {
    // SFTP v3 servers may omit the message
  }
  // The server's text goes into the index: keep it to one short line.
  return { code, message: text.replace(/\s+/g, ' ').slice(0, 200) || (STATUS_NAMES[code] ?? `status ${code}`) };
}

const STATUS_NAMES: Record<number, string> = {
  1: 'end of file', 2: 'no such file', 3: 'permission denied', 4: 'failure', 5: 'bad message', 8: 'operation unsupported',
};
