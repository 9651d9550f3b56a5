// SFTP framing: each packet is a u32 length, then that many bytes (type, then fields). The stream splits packets
// anywhere, so pieces are kept until a whole packet is there; they are joined once, not on every chunk.

/** Larger is not SFTP we can follow (OpenSSH's limit is 256 KiB): stop parsing rather than buffer it. */
export const MAX_PACKET = 1024 * 1024;

export class PacketStream {
  #parts: Buffer[] = [];
  #size = 0;
  broken = false;
  #onPacket: (packet: Buffer) => void;

  constructor(onPacket: (packet: Buffer) => void) {
    this.#onPacket = onPacket;
  }

  push(chunk: Buffer): void {
    if (this.broken || chunk.length === 0) return;
    this.#parts.push(chunk);
    this.#size += chunk.length;
    while (this.#size >= 4) {
      const len = this.#first(4).readUInt32BE(0);
      if (len < 1 || len > MAX_PACKET) {
        this.broken = true;
        this.#parts = [];
        this.#size = 0;
        return;
      }
      if (this.#size < 4 + len) return;
      const packet = this.#first(4 + len).subarray(4);
      this.#drop(4 + len);
      this.#onPacket(packet);
    }
  }

  #first(n: number): Buffer {
    if (this.#parts[0]!.length < n) this.#parts = [Buffer.concat(this.#parts, this.#size)];
    return this.#parts[0]!.subarray(0, n);
  }

  #drop(n: number): void {
    const rest = this.#parts[0]!.subarray(n);
    if (rest.length) this.#parts[0] = rest;
    else this.#parts.shift();
    this.#size -= n;
  }
}

/** Reads SFTP fields; throws RangeError past the end, which the tracker treats as "not a packet we understand". */
export class FieldReader {
  #b: Buffer;
  #p: number;
  constructor(b: Buffer, p = 0) {
    this.#b = b;
    this.#p = p;
  }
  u8(): number {
    return this.#b.readUInt8(this.#p++);
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
    if (this.#p + len > this.#b.length) throw new RangeError('short string');
    const v = this.#b.subarray(this.#p, this.#p + len);
    this.#p += len;
    return v;
  }
  str(): string {
    return this.bytes().toString('utf8');
  }
}
