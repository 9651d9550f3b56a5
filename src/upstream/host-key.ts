// Trust-on-first-use pinning of target host keys, as a typed verdict. Pure.
import { fingerprintOf, sameBlob } from '../identity/public-key.js';

export type HostKeyVerdict =
  | { kind: 'valid' }
  | { kind: 'unknown'; blob: Buffer; fingerprint: string }
  | { kind: 'mismatch'; pinned: string; offered: string };

export function checkHostKey(pinnedBase64: string | undefined, pinnedFingerprint: string | undefined, offered: Buffer): HostKeyVerdict {
  const fingerprint = fingerprintOf(offered);
  if (pinnedBase64 === undefined) return { kind: 'unknown', blob: offered, fingerprint };
  if (sameBlob(Buffer.from(pinnedBase64, 'base64'), offered)) return { kind: 'valid' };
  return { kind: 'mismatch', pinned: pinnedFingerprint ?? '?', offered: fingerprint };
}
