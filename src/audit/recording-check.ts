// Checks recordings against the trail: every RecordingSealed event carries the sha256 and size of the file it sealed
// (as does a RecordingInterrupted event, for a recording a crash left open and the next start repaired), and the event
// itself is hash-chained and signed, so a recording edited, truncated or deleted afterwards shows here.
// (The session index in the store holds the same hash, but the store is easier to edit than a signed chain.)
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Segment } from './verify.js';

export interface SealedRecording {
  path: string;
  sha256: string;
  bytes: number;
  sessionId: string;
  channel: number;
}

export type RecordingStatus =
  | { status: 'ok' }
  | { status: 'uploaded' } // not local any more: pruned after a confirmed upload
  | { status: 'modified'; detail: string }
  | { status: 'missing' };

const SEALING = ['RecordingSealed', 'RecordingInterrupted'];

/** The recordings the given segments' sealing events name (an interrupted one that could not be repaired names none). Pure. */
export function sealedRecordings(segments: Segment[]): SealedRecording[] {
  const found: SealedRecording[] = [];
  for (const seg of segments) {
    for (const line of seg.text.split('\n')) {
      if (!SEALING.some((name) => line.includes(`"${name}"`))) continue;
      let e: { eventName?: string; sessionId?: string; details?: { path?: unknown; sha256?: unknown; bytes?: unknown; channel?: unknown } };
      try {
        e = JSON.parse(line);
      } catch {
        continue; // a broken line is the chain verifier's to report
      }
      const d = e.details;
      if (!SEALING.includes(e.eventName ?? '') || typeof d?.path !== 'string' || typeof d.sha256 !== 'string') continue;
      found.push({ path: d.path, sha256: d.sha256, bytes: Number(d.bytes), sessionId: e.sessionId ?? '', channel: Number(d.channel) });
    }
  }
  return found;
}

/** Hashes the file as sealed; `uploaded` names the paths pruned locally after their upload was confirmed. */
export async function checkRecording(r: SealedRecording, uploaded: Set<string>): Promise<RecordingStatus> {
  let digest: { sha256: string; bytes: number };
  try {
    digest = await hashFile(r.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { status: 'modified', detail: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
    return uploaded.has(r.path) ? { status: 'uploaded' } : { status: 'missing' };
  }
  if (digest.sha256 === r.sha256) return { status: 'ok' };
  const size = digest.bytes === r.bytes ? 'same size' : `${digest.bytes} bytes, sealed with ${r.bytes}`;
  return { status: 'modified', detail: `sha256 ${digest.sha256.slice(0, 16)}… differs from the sealed ${r.sha256.slice(0, 16)}… (${size})` };
}

/** The same check on a shipped copy, read as a stream (a missing object is `missing`). */
export async function checkStream(r: SealedRecording, open: () => Promise<NodeJS.ReadableStream | undefined>): Promise<RecordingStatus> {
  const stream = await open();
  if (!stream) return { status: 'missing' };
  const digest = await hashStream(stream);
  if (digest.sha256 === r.sha256) return { status: 'ok' };
  return { status: 'modified', detail: `sha256 ${digest.sha256.slice(0, 16)}… differs from the sealed ${r.sha256.slice(0, 16)}… (${digest.bytes === r.bytes ? 'same size' : `${digest.bytes} bytes, sealed with ${r.bytes}`})` };
}

function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  return hashStream(createReadStream(path));
}

function hashStream(input: NodeJS.ReadableStream): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    input
      .on('data', (chunk: Buffer | string) => {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += b.length;
        hash.update(b);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: hash.digest('hex'), bytes }));
  });
}
