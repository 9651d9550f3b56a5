// After a crash (SIGKILL, power loss) recordings are left open: this cuts a torn last line or frame, so every file
// parses again, and returns its new size and sha256 so the caller can seal it as interrupted.
import { createHash } from 'node:crypto';
import { readFile, truncate } from 'node:fs/promises';
import { decodeBinary, MAGIC } from './binary-log.js';

export interface Repaired {
  bytes: number;
  sha256: string;
  /** Bytes cut from a torn tail. */
  cut: number;
}

export async function repairRecording(path: string): Promise<Repaired> {
  const buf = await readFile(path);
  let valid = buf.length;
  if (buf.subarray(0, MAGIC.length).toString() === MAGIC) {
    valid = decodeBinary(buf).validBytes;
  } else {
    // asciicast: every complete event ends with a newline; anything after the last one is torn.
    const lastNewline = buf.lastIndexOf(0x0a);
    valid = lastNewline + 1;
  }
  if (valid < buf.length) await truncate(path, valid);
  const kept = buf.subarray(0, valid);
  return { bytes: kept.length, sha256: createHash('sha256').update(kept).digest('hex'), cut: buf.length - valid };
}

/** Seals, as interrupted, every channel recording a previous process left open. Returns what it did. */
export async function recoverUnsealed(store: import('../store/store.js').Store): Promise<{ path: string; cut: number; error?: string }[]> {
  const done: { path: string; cut: number; error?: string }[] = [];
  for (const ch of await store.unsealedChannels()) {
    try {
      const r = await repairRecording(ch.recordingPath);
      await store.sealChannel(ch.auditKey, ch.channel, {
        endedAt: new Date().toISOString(), bytesIn: ch.bytesIn, bytesOut: ch.bytesOut, sha256: r.sha256, recordingBytes: r.bytes, state: 'interrupted',
      });
      done.push({ path: ch.recordingPath, cut: r.cut });
    } catch (err) {
      await store.sealChannel(ch.auditKey, ch.channel, { bytesIn: ch.bytesIn, bytesOut: ch.bytesOut, state: 'failed' });
      done.push({ path: ch.recordingPath, cut: 0, error: (err as Error).message });
    }
  }
  return done;
}
