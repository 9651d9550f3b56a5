// A passive SFTP (v3) parser of both directions: it never changes a byte, it only watches requests and replies to
// turn open → read/write → close into "file X written, N bytes, sha256 S", and notes removes, renames and mkdirs.
// Pure: fed chunks split anywhere, emits FileOps through a callback. Unit-tested without sockets.
import { createHash, type Hash } from 'node:crypto';
import type { FileOp } from './file-ops.js';

const T = {
  OPEN: 3, CLOSE: 4, READ: 5, WRITE: 6, SETSTAT: 9, REMOVE: 13, MKDIR: 14, RMDIR: 15, RENAME: 18, EXTENDED: 200,
  STATUS: 101, HANDLE: 102, DATA: 103,
} as const;
const FXF_WRITE = 0x02;
const MAX_PACKET = 1024 * 1024; // larger is not SFTP (or not one we can follow): stop parsing rather than buffer it

interface Transfer {
  hash: Hash;
  next: bigint;
  bytes: number;
  inOrder: boolean;
}
interface OpenFile {
  path: string;
  writing: boolean;
  read: Transfer;
  write: Transfer;
}
type Pending =
  | { kind: 'open'; path: string; writing: boolean }
  | { kind: 'read'; handle: string; offset: bigint }
  | { kind: 'close'; handle: string }
  | { kind: 'simple'; op: FileOp['op']; path: string; to?: string };

const transfer = (): Transfer => ({ hash: createHash('sha256'), next: 0n, bytes: 0, inOrder: true });

class Reader {
  #b: Buffer;
  #p: number;
  constructor(b: Buffer, p: number) {
    this.#b = b;
    this.#p = p;
  }
  u32(): number {
    const v = this.#b.readUInt32BE(this.#p);
    this.#p += 4;
    return v;
  }
  u64(): bigint {
    const v = this.#b.readBigUInt64BE(this.#p);
    this.#p += 8;
    return v;
  }
  bytes(): Buffer {
    const len = this.u32();
    const v = this.#b.subarray(this.#p, this.#p + len);
    if (v.length !== len) throw new RangeError('short string');
    this.#p += len;
    return v;
  }
  str(): string {
    return this.bytes().toString('utf8');
  }
}

/** Splits a byte stream into SFTP packets (4-byte length prefix). */
class PacketStream {
  #buf: Buffer = Buffer.alloc(0);
  broken = false;
  constructor(private onPacket: (type: number, body: Buffer) => void) {}
  push(chunk: Buffer): void {
    if (this.broken) return;
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let p = 0;
    while (this.#buf.length - p >= 5) {
      const len = this.#buf.readUInt32BE(p);
      if (len < 1 || len > MAX_PACKET) {
        this.broken = true;
        return;
      }
      if (this.#buf.length - p - 4 < len) break;
      const packet = this.#buf.subarray(p + 4, p + 4 + len);
      p += 4 + len;
      try {
        this.onPacket(packet[0]!, packet);
      } catch {
        // A malformed packet is the server's to refuse; the tracker just does not learn from it.
      }
    }
    this.#buf = p === this.#buf.length ? Buffer.alloc(0) : Buffer.from(this.#buf.subarray(p));
  }
}

export class SftpTracker {
  #pending = new Map<number, Pending>();
  #files = new Map<string, OpenFile>();
  #fromClient: PacketStream;
  #fromServer: PacketStream;
  #emit: (op: FileOp) => void;

  constructor(emit: (op: FileOp) => void) {
    this.#emit = emit;
    this.#fromClient = new PacketStream((t, b) => this.#request(t, b));
    this.#fromServer = new PacketStream((t, b) => this.#reply(t, b));
  }

  clientData(chunk: Buffer): void {
    this.#fromClient.push(chunk);
  }

  serverData(chunk: Buffer): void {
    this.#fromServer.push(chunk);
  }

  /** Files still open when the channel ends are reported too, marked as not closed. */
  end(): void {
    for (const file of this.#files.values()) this.#report(file, 'channel closed before the file was');
    this.#files.clear();
  }

  #request(type: number, body: Buffer): void {
    const r = new Reader(body, 1);
    if (type === 1) return; // INIT carries a version, not an id
    const id = r.u32();
    switch (type) {
      case T.OPEN: {
        const path = r.str();
        this.#pending.set(id, { kind: 'open', path, writing: (r.u32() & FXF_WRITE) !== 0 });
        return;
      }
      case T.READ:
        this.#pending.set(id, { kind: 'read', handle: r.bytes().toString('hex'), offset: r.u64() });
        return;
      case T.WRITE: {
        const file = this.#files.get(r.bytes().toString('hex'));
        if (file) feed(file.write, r.u64(), r.bytes());
        return;
      }
      case T.CLOSE:
        this.#pending.set(id, { kind: 'close', handle: r.bytes().toString('hex') });
        return;
      case T.REMOVE:
        return void this.#pending.set(id, { kind: 'simple', op: 'remove', path: r.str() });
      case T.MKDIR:
        return void this.#pending.set(id, { kind: 'simple', op: 'mkdir', path: r.str() });
      case T.RMDIR:
        return void this.#pending.set(id, { kind: 'simple', op: 'rmdir', path: r.str() });
      case T.SETSTAT:
        return void this.#pending.set(id, { kind: 'simple', op: 'setstat', path: r.str() });
      case T.RENAME:
        return void this.#pending.set(id, { kind: 'simple', op: 'rename', path: r.str(), to: r.str() });
      case T.EXTENDED: {
        if (r.str() === 'posix-rename@openssh.com') this.#pending.set(id, { kind: 'simple', op: 'rename', path: r.str(), to: r.str() });
        return;
      }
    }
  }

  #reply(type: number, body: Buffer): void {
    if (type === 2) return; // VERSION
    const r = new Reader(body, 1);
    const id = r.u32();
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (pending.kind === 'open' && type === T.HANDLE) {
      this.#files.set(r.bytes().toString('hex'), { path: pending.path, writing: pending.writing, read: transfer(), write: transfer() });
    } else if (pending.kind === 'read' && type === T.DATA) {
      const file = this.#files.get(pending.handle);
      if (file) feed(file.read, pending.offset, r.bytes());
    } else if (pending.kind === 'close') {
      const file = this.#files.get(pending.handle);
      this.#files.delete(pending.handle);
      if (file) this.#report(file, 'ok');
    } else if (pending.kind === 'simple' && type === T.STATUS) {
      const code = r.u32();
      const message = code === 0 ? 'ok' : r.str() || `status ${code}`;
      this.#emit({ op: pending.op, path: pending.path, ...(pending.to ? { to: pending.to } : {}), result: message });
    }
  }

  #report(file: OpenFile, result: string): void {
    const done = (op: 'read' | 'write', t: Transfer) =>
      this.#emit({ op, path: file.path, bytes: t.bytes, ...(t.inOrder ? { sha256: t.hash.digest('hex') } : {}), result });
    if (file.writing) done('write', file.write);
    else if (file.read.bytes > 0) done('read', file.read);
  }
}

function feed(t: Transfer, offset: bigint, data: Buffer): void {
  t.bytes += data.length;
  if (offset !== t.next) t.inOrder = false;
  if (t.inOrder) t.hash.update(data);
  t.next = offset + BigInt(data.length);
}
