// The hash chain and checkpoint signatures of the audit trail, as pure functions over lines of text.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** What a checkpoint signs: the segment, how many lines it holds before the checkpoint, and the last line's hash. */
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
