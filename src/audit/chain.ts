// The hash chain and checkpoint signatures of the audit trail, as pure functions over lines of text.
// A checkpoint is a line of the chain that signs where the chain stands: the segment, how many lines it holds before
// the checkpoint, the last line's hash and sequence number, the previous checkpoint line's hash (so checkpoints form
// a chain of their own, which anchors outside the host can hold), and the recordings sealed since the previous one.
// Version 1 checkpoints (before 2026-12-05) signed only the segment, line count and last hash, once per closed day.
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** A recording a checkpoint covers: its path and the sha256 it was sealed with. */
export interface CoveredRecording {
  path: string;
  sha256: string;
  bytes?: number;
}

/** What a version 2 checkpoint says, before its signature. */
export interface CheckpointBody {
  v: 2;
  /** The chain: a node's name, or `<node>-admin`. */
  chain: string;
  segment: string;
  /** Lines of the segment before this checkpoint. */
  lines: number;
  /** Hash and sequence number of the line before this checkpoint. */
  last: string;
  headSeq: number;
  /** Hash of the previous checkpoint line of the chain (GENESIS for the first). */
  prevCheckpoint: string;
  at: string;
  /** The segment ends here (the day ended, or the process stopped cleanly). */
  final: boolean;
  recordings: CoveredRecording[];
  /** The signing key's fingerprint, SHA256:<base64 of the raw public key's sha256>. */
  keyFingerprint: string;
}

export type Checkpoint = CheckpointBody & { signature: string };

/** Version 1: what was signed before checkpoints were chained. */
export interface CheckpointV1 {
  segment: string;
  lines: number;
  last: string;
  signature: string;
  at?: string;
}

/**
 * The key's fingerprint as OpenSSH prints it (`ssh-keygen -l`): SHA256:<base64, no padding> of the ssh-ed25519 public
 * key blob, so an auditor can check it with OpenSSH's own tools.
 */
export function keyFingerprint(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  const name = Buffer.from('ssh-ed25519');
  const raw = spki.subarray(-32);
  const blob = Buffer.concat([u32(name.length), name, u32(raw.length), raw]);
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The bytes a version 2 checkpoint signs: its fields in a fixed order. */
export function checkpointBodyBytes(b: CheckpointBody): Buffer {
  const { v, chain, segment, lines, last, headSeq, prevCheckpoint, at, final, recordings, keyFingerprint } = b;
  const covered = recordings.map((r) => ({ path: r.path, sha256: r.sha256, ...(r.bytes === undefined ? {} : { bytes: r.bytes }) }));
  return Buffer.from(`fumidai-audit-checkpoint-v2\n${JSON.stringify({ v, chain, segment, lines, last, headSeq, prevCheckpoint, at, final, recordings: covered, keyFingerprint })}`);
}

export function signCheckpointBody(key: KeyObject, body: CheckpointBody): Checkpoint {
  return { ...body, signature: sign(null, checkpointBodyBytes(body), key).toString('base64') };
}

export function verifyCheckpointBody(key: KeyObject, c: Checkpoint): boolean {
  try {
    return verify(null, checkpointBodyBytes(c), key, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/** Version 1 payload: the segment, how many lines it holds before the checkpoint, and the last line's hash. */
export function checkpointPayload(segment: string, lines: number, last: string): Buffer {
  return Buffer.from(`fumidai-audit-checkpoint\n${segment}\n${lines}\n${last}`);
}

export function signCheckpoint(key: KeyObject, segment: string, lines: number, last: string): string {
  return sign(null, checkpointPayload(segment, lines, last), key).toString('base64');
}

export function verifyCheckpoint(key: KeyObject, segment: string, lines: number, last: string, signature: string): boolean {
  try {
    return verify(null, checkpointPayload(segment, lines, last), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** Whether a parsed checkpoint is version 2. */
export function isV2(c: Checkpoint | CheckpointV1): c is Checkpoint {
  return (c as Checkpoint).v === 2;
}
