// Audit segments leave the host as append-only pieces: each round sends only the whole lines added since the last
// confirmed piece, as a new object that is never overwritten. What was shipped is remembered as a length and the
// sha256 of those bytes, so a local file rewritten or cut below that length is refused rather than sent again: the
// bucket keeps the original. The decisions are here, apart from the file and the bucket.
import { createHash } from 'node:crypto';

/** What the spool remembers of a segment: bytes [0, size) are in the bucket, with this sha256. */
export interface ShippedPrefix {
  size?: number;
  sha256?: string;
  /** False for what an earlier version uploaded whole under one key: its pieces start again at offset 0. */
  pieces?: boolean;
}

export type NextPiece =
  /** Send `bytes` as the piece at `offset`; once confirmed, [0, `end`) is shipped and hashes to `sha256`. */
  | { kind: 'piece'; offset: number; bytes: Buffer; end: number; sha256: string }
  /** No whole line added since: a partial last line waits for its newline. */
  | { kind: 'none' }
  /** The file no longer starts with what was shipped. */
  | { kind: 'changed'; why: string };

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The next piece of a segment whose whole content is `file`, given what was shipped of it. */
export function nextPiece(file: Buffer, shipped: ShippedPrefix): NextPiece {
  const size = shipped.size ?? 0;
  if (file.length < size) return { kind: 'changed', why: `it is ${file.length} bytes, shorter than the ${size} shipped` };
  if (size > 0 && shipped.sha256 && sha256(file.subarray(0, size)) !== shipped.sha256) return { kind: 'changed', why: `its first ${size} bytes are not those shipped` };
  const offset = shipped.pieces ? size : 0;
  const end = file.lastIndexOf(0x0a) + 1;
  if (end <= offset) return { kind: 'none' };
  return { kind: 'piece', offset, bytes: file.subarray(offset, end), end, sha256: sha256(file.subarray(0, end)) };
}

/**
 * A piece the bucket already held at `offset` (a send whose answer, or whose spool update, was lost): the bytes there
 * must be the file's own from `offset`, ending on a line. Returns where the confirmed bytes end, or undefined when the
 * bucket holds something else there (the file changed since that piece went up).
 */
export function adoptPiece(file: Buffer, offset: number, there: Buffer): { end: number; sha256: string } | undefined {
  const end = offset + there.length;
  if (there.length === 0 || end > file.length || file[end - 1] !== 0x0a || !file.subarray(offset, end).equals(there)) return undefined;
  return { end, sha256: sha256(file.subarray(0, end)) };
}

/** One piece object as listed: its key, the offset its key names, and its size. */
export interface PieceObject {
  key: string;
  offset: number;
  size: number;
}

/**
 * The keys to concatenate, in byte order, for a segment: from offset 0, each piece starting where the one before
 * ends. At a gap or an overlap, the pieces before it and one line naming the segment and the bytes.
 */
export function piecesInOrder(segment: string, pieces: PieceObject[]): { keys: string[]; problem?: string } {
  const sorted = [...pieces].sort((a, b) => a.offset - b.offset);
  const keys: string[] = [];
  let at = 0;
  for (const p of sorted) {
    if (p.offset > at) return { keys, problem: `${segment}: bytes ${at} to ${p.offset} are missing from the bucket (no piece at offset ${at})` };
    if (p.offset < at) return { keys, problem: `${segment}: the piece at offset ${p.offset} overlaps the bytes before it (up to ${at})` };
    keys.push(p.key);
    at = p.offset + p.size;
  }
  return { keys };
}
