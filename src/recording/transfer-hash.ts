// The sha256 of a file's bytes as they cross an sftp channel. Requests carry offsets and clients pipeline them; a short
// read makes OpenSSH's client ask again for the missing range later, so pieces can arrive out of order. Pieces ahead of
// the next expected offset are held (up to a bound) until the gap fills; a gap never filled, an overlap, or a transfer
// not starting at offset 0 gives no digest at all rather than a wrong one.
import { createHash } from 'node:crypto';

const MAX_HELD = 8 * 1024 * 1024;

export class TransferHash {
  bytes = 0;
  /** True once any read/write request was made, even one that moved no bytes (an empty file). */
  touched = false;
  #hash = createHash('sha256');
  #next = 0n;
  #held = new Map<bigint, Buffer>();
  #heldBytes = 0;
  #broken = false;

  add(offset: bigint, data: Buffer): void {
    this.touched = true;
    this.bytes += data.length;
    if (this.#broken || data.length === 0) return;
    if (offset === this.#next) {
      this.#take(data);
      for (let held = this.#held.get(this.#next); held; held = this.#held.get(this.#next)) {
        this.#held.delete(this.#next);
        this.#heldBytes -= held.length;
        this.#take(held);
      }
    } else if (offset > this.#next && !this.#held.has(offset) && this.#heldBytes + data.length <= MAX_HELD) {
      this.#held.set(offset, Buffer.from(data)); // a copy: the packet's buffer belongs to the relay
      this.#heldBytes += data.length;
    } else {
      this.#giveUp();
    }
  }

  /** Hex sha256, or undefined when the bytes seen do not form one contiguous run from offset 0. */
  digest(): string | undefined {
    if (this.#broken || this.#held.size > 0) return undefined;
    return this.#hash.digest('hex');
  }

  #take(data: Buffer): void {
    this.#hash.update(data);
    this.#next += BigInt(data.length);
  }

  #giveUp(): void {
    this.#broken = true;
    this.#held.clear();
    this.#heldBytes = 0;
  }
}
