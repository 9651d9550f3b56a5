// After a crash (SIGKILL, power loss) recordings are left open and may end in a torn line or frame, or in zeros the
// filesystem never got to overwrite. This keeps the longest prefix that parses, so every player and reader accepts the
// file, moves the rest (if any) to `<file>.torn` rather than destroying it, and returns the new size and sha256 so the
// caller can seal the recording as interrupted.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat, truncate } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { isCastHeader, parseEventLine } from './asciicast.js';
import { FrameReader, isBinaryLog, MAGIC } from './binary-log.js';
import type { SessionIndex } from '../store/store.js';

export interface Repaired {
  bytes: number;
  sha256: string;
  /** Bytes cut from the end. */
  cut: number;
  /** Where the cut bytes were kept, when there were any. */
  tornPath?: string;
}

export async function repairRecording(path: string): Promise<Repaired> {
  const fh = await open(path, 'r');
  const { bytesRead, buffer } = await fh.read(Buffer.alloc(MAGIC.length), 0, MAGIC.length, 0);
  const size = (await fh.stat()).size;
  await fh.close();
  const valid = isBinaryLog(buffer.subarray(0, bytesRead)) ? await validBinary(path) : await validCast(path);
  if (valid === 0) throw new Error('no readable header: not a recording, or nothing of it reached the disk');
  let tornPath: string | undefined;
  if (valid < size) {
    tornPath = `${path}.torn`;
    // Overwritten, not 'wx': a recovery cut short before the truncate repeats it with the same bytes.
    await pipeline(createReadStream(path, { start: valid }), createWriteStream(tornPath, { mode: 0o600 }));
    await truncate(path, valid);
  }
  return { bytes: valid, sha256: await sha256Of(path, valid), cut: size - valid, ...(tornPath ? { tornPath } : {}) };
}

async function validBinary(path: string): Promise<number> {
  const reader = new FrameReader();
  for await (const chunk of createReadStream(path)) {
    reader.push(chunk as Buffer);
    if (reader.broken) break;
  }
  return reader.header ? reader.validBytes : 0;
}

/** Bytes up to the end of the last good line: a version 2 header, then events, each ended by a newline. */
async function validCast(path: string): Promise<number> {
  let valid = 0;
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  for await (const chunk of createReadStream(path)) {
    let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      const text = buf.subarray(0, nl).toString('utf8');
      if (!(first ? isCastHeader(text) : parseEventLine(text))) return valid;
      first = false;
      valid += nl + 1;
      buf = buf.subarray(nl + 1);
    }
    carry = Buffer.from(buf);
  }
  return valid; // whatever follows the last newline is a line the writer never finished
}

async function sha256Of(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  if (bytes > 0) for await (const c of createReadStream(path, { end: bytes - 1 })) hash.update(c as Buffer);
  return hash.digest('hex');
}

export interface Recovered {
  auditKey: string;
  channel: number;
  path: string;
  /** Bytes moved to the torn file. */
  cut: number;
  tornPath?: string;
  /** The repaired file's digest and size, as sealed. */
  sha256?: string;
  bytes?: number;
  /** Why the recording could not be repaired (the channel is marked failed). */
  error?: string;
  /** Why `report` failed: the channel is left unsealed, so the next start repairs and reports it again. */
  unreported?: string;
}

/**
 * Seals, as interrupted, every channel recording a previous process left open. `report` (the audit event) comes before
 * the seal, as for a recording sealed live: a process that goes between the two reports it again at its next start,
 * rather than leaving a sealed recording that no event names. Returns what it did.
 */
export async function recoverUnsealed(store: Pick<SessionIndex, 'unsealedChannels' | 'sealChannel'>, report: (r: Recovered) => Promise<void>): Promise<Recovered[]> {
  const done: Recovered[] = [];
  for (const ch of await store.unsealedChannels()) {
    const at = { auditKey: ch.auditKey, channel: ch.channel, path: ch.recordingPath };
    let r: Recovered;
    try {
      const repaired = await repairRecording(ch.recordingPath);
      r = { ...at, ...repaired, ...(await earlierCut(ch.recordingPath, repaired)) };
    } catch (err) {
      r = { ...at, cut: 0, error: (err as Error).message };
    }
    done.push(r);
    try {
      await report(r);
    } catch (err) {
      r.unreported = (err as Error).message;
      continue;
    }
    await store.sealChannel(ch.auditKey, ch.channel, r.error
      ? { bytesIn: ch.bytesIn, bytesOut: ch.bytesOut, state: 'failed' }
      : { endedAt: new Date().toISOString(), bytesIn: ch.bytesIn, bytesOut: ch.bytesOut, sha256: r.sha256, recordingBytes: r.bytes, state: 'interrupted' });
  }
  return done;
}

/**
 * A torn file beside a recording that is still unsealed was cut by an earlier recovery that did not get to seal it
 * (its report failed, or the process went): this one finds nothing left to cut, so the earlier cut is what to report.
 */
async function earlierCut(path: string, r: Repaired): Promise<Partial<Repaired>> {
  if (r.cut > 0) return {};
  const tornPath = `${path}.torn`;
  const size = await stat(tornPath).then((s) => s.size, () => undefined);
  return size === undefined ? {} : { cut: size, tornPath };
}
