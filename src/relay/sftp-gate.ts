// File rules over sftp need more than watching: an OPEN the policy refuses must not reach the target. The gate sits in
// both directions of an sftp channel (only where file rules are in scope): toward the target it holds each OPEN
// request until it is decided and drops a refused one; toward the client it finds the packet boundaries of the
// target's replies, so the refusal (a STATUS "permission denied" with the reason) is put between two whole packets.
// Every other packet passes as it came, without a copy. A stream that stops parsing as SFTP ends the channel: the
// rules could no longer be applied (fail closed).
import { Transform, type TransformCallback } from 'node:stream';
import { fail } from '../errors.js';
import { FieldReader, MAX_PACKET } from '../recording/sftp-packets.js';

const OPEN = 3;
const STATUS = 101;
const FX_PERMISSION_DENIED = 3;
const FXF_READ = 0x01;
const FXF_WRITE = 0x02;

export type Direction = 'upload' | 'download';
/** Undefined lets the file be opened; a line refuses it (the status message the client gets). */
export type OpenCheck = (path: string, direction: Direction) => string | undefined;

export interface SftpGate {
  /** Client → target. */
  input: Transform;
  /** Target → client. */
  output: Transform;
}

const unfollowable = () => fail('CHANNEL_DENIED', 'an sftp stream that does not parse as SFTP while file rules are in force');

export function sftpGate(check: OpenCheck): SftpGate {
  const output = replies();
  return { input: requests(check, (p) => output.inject(p)), output: output.stream };
}

/** The directions an OPEN asks for, by its flags (read and write: both are decided). */
function directions(pflags: number): Direction[] {
  const d: Direction[] = [];
  if (pflags & FXF_WRITE) d.push('upload');
  if (pflags & FXF_READ || !(pflags & FXF_WRITE)) d.push('download');
  return d;
}

/** A STATUS reply to request `id`. */
export function statusPacket(id: number, code: number, message: string): Buffer {
  const msg = Buffer.from(message);
  const body = Buffer.alloc(1 + 4 + 4 + 4 + msg.length + 4);
  let p = body.writeUInt8(STATUS, 0);
  p = body.writeUInt32BE(id, p);
  p = body.writeUInt32BE(code, p);
  p = body.writeUInt32BE(msg.length, p);
  p += msg.copy(body, p);
  body.writeUInt32BE(0, p); // language tag: none
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function requests(check: OpenCheck, refuse: (reply: Buffer) => void): Transform {
  const head = Buffer.alloc(5); // length and type; held back while it spans two chunks
  let headLen = 0;
  let remaining = 0;
  let inPacket = false;
  let held: Buffer[] | undefined; // an OPEN, until it is whole and decided
  const decide = (packet: Buffer): Buffer | undefined => {
    const r = new FieldReader(packet, 5);
    const id = r.u32();
    const path = r.str();
    const pflags = r.u32();
    for (const d of directions(pflags)) {
      const refusal = check(path, d);
      if (refusal !== undefined) return statusPacket(id, FX_PERMISSION_DENIED, refusal);
    }
    return undefined;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      // Everything but an OPEN passes as ranges of the chunk itself: no copy in the common case.
      const out: Buffer[] = [];
      let start = 0;
      let p = 0;
      try {
        while (p < chunk.length) {
          if (!inPacket) {
            const headStart = p;
            const carried = headLen;
            const take = Math.min(5 - headLen, chunk.length - p);
            chunk.copy(head, headLen, p, p + take);
            headLen += take;
            p += take;
            if (headLen < 5) {
              if (headStart > start) out.push(chunk.subarray(start, headStart));
              start = chunk.length;
              break;
            }
            const len = head.readUInt32BE(0);
            if (len < 1 || len > MAX_PACKET) throw unfollowable();
            headLen = 0;
            inPacket = true;
            remaining = len - 1;
            if (head[4] === OPEN) {
              if (headStart > start) out.push(chunk.subarray(start, headStart));
              held = [Buffer.from(head)];
              start = p;
            } else if (carried > 0) {
              out.push(Buffer.from(head)); // the part from the previous chunk was held back
              start = p;
            }
          } else {
            const take = Math.min(remaining, chunk.length - p);
            if (held) held.push(Buffer.from(chunk.subarray(p, p + take)));
            p += take;
            if (held) start = p;
            remaining -= take;
          }
          if (inPacket && remaining === 0) {
            inPacket = false;
            if (held) {
              const packet = Buffer.concat(held);
              held = undefined;
              const reply = decide(packet);
              if (reply) refuse(reply);
              else out.push(packet);
            }
          }
        }
      } catch (err) {
        return done(err instanceof RangeError ? unfollowable() : (err as Error));
      }
      if (start < chunk.length) out.push(chunk.subarray(start));
      done(null, out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out));
    },
  });
}

function replies(): { stream: Transform; inject(packet: Buffer): void } {
  const head = Buffer.alloc(4);
  let headLen = 0;
  let remaining = 0;
  let queue: Buffer[] = [];
  const atBoundary = () => headLen === 0 && remaining === 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const out: Buffer[] = [];
      let start = 0;
      let p = 0;
      while (p < chunk.length) {
        if (remaining === 0) {
          const take = Math.min(4 - headLen, chunk.length - p);
          chunk.copy(head, headLen, p, p + take);
          headLen += take;
          p += take;
          if (headLen < 4) break;
          remaining = head.readUInt32BE(0);
          headLen = 0;
          if (remaining < 1 || remaining > MAX_PACKET) return done(unfollowable());
          continue;
        }
        const take = Math.min(remaining, chunk.length - p);
        p += take;
        remaining -= take;
        if (remaining === 0 && queue.length) {
          out.push(chunk.subarray(start, p), ...queue);
          queue = [];
          start = p;
        }
      }
      if (start < chunk.length) out.push(chunk.subarray(start));
      done(null, out.length === 1 ? out[0] : Buffer.concat(out));
    },
  });
  return {
    stream,
    inject(packet: Buffer) {
      if (atBoundary()) stream.push(packet);
      else queue.push(packet);
    },
  };
}
