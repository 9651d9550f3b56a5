// Where things live in the bucket, in one place: the shipper writes these keys and the read-only commands
// (replay --from-bucket, audit query --from-bucket) find them again without a local store.
//   PREFIX recordings/<YYYYMMDD>/<audit key>/<NN>-<kind>.cast|.bin[.torn]   (the local layout under recording.dir)
//   PREFIX audit/<chain>/<YYYY-MM-DD>.jsonl.d/<offset, 16 digits>             (a day segment, piece by piece)
//   PREFIX audit/<chain>/<YYYY-MM-DD>.jsonl                                   (a whole segment, as earlier versions wrote it)
//   PREFIX anchors/<chain>/<seq, 12 digits>.json                              (one signed checkpoint line each)

/** Object key of a recording file, from its path relative to the recording directory. */
export function recordingObjectKey(prefix: string, relativePath: string): string {
  return `${prefix}recordings/${relativePath.split('\\').join('/')}`;
}

/** Object key of an audit segment of one chain (a node, or a node's admin commands). */
export function auditObjectKey(prefix: string, chain: string, file: string): string {
  return `${prefix}audit/${chain}/${file}`;
}

/** The prefix under which one session's recordings are: its day folder comes from the audit key's time. */
export function sessionRecordingsPrefix(prefix: string, auditKey: string): string {
  return `${prefix}recordings/${auditKey.slice(0, 8)}/${auditKey}/`;
}

export function auditPrefix(prefix: string): string {
  return `${prefix}audit/`;
}

/** An audit key as newAuditKey makes it: time, user, random suffix; never a path. */
export const AUDIT_KEY = /^\d{8}T\d{6}Z-[a-z][-a-z0-9_.]{0,63}-[0-9a-f]+$/;

/** The chain and day file of an audit segment's key, or undefined for anything else (such as a key with `..`). */
export function auditSegmentOf(prefix: string, key: string): { chain: string; file: string } | undefined {
  const m = /^([A-Za-z0-9][-A-Za-z0-9_.]*)\/(\d{4}-\d\d-\d\d\.jsonl)$/.exec(key.startsWith(auditPrefix(prefix)) ? key.slice(auditPrefix(prefix).length) : '');
  return m ? { chain: m[1]!, file: m[2]! } : undefined; // a chain never starts with '.'
}

/**
 * The object of the piece of a segment that starts at byte `offset`: appended bytes go up as new objects, never as a
 * new version of one. Offsets are zero-padded so the keys of a segment list in byte order.
 */
export function auditPieceKey(segmentKey: string, offset: number): string {
  return `${segmentKey}.d/${String(offset).padStart(16, '0')}`;
}

/** The chain, day file and byte offset of an audit piece's key, or undefined for anything else. */
export function auditPieceOf(prefix: string, key: string): { chain: string; file: string; offset: number } | undefined {
  const m = /^(.*)\.d\/(\d{16})$/.exec(key);
  const segment = m ? auditSegmentOf(prefix, m[1]!) : undefined;
  return segment && { ...segment, offset: Number(m![2]) };
}

/** The object of one anchored checkpoint: its chain and the checkpoint line's own sequence number, never re-used. */
export function anchorObjectKey(prefix: string, chain: string, seq: number): string {
  return `${anchorsPrefix(prefix)}${chain}/${String(seq).padStart(12, '0')}.json`;
}

export function anchorsPrefix(prefix: string): string {
  return `${prefix}anchors/`;
}

/** The chain and sequence number of an anchor object's key, or undefined for anything else. */
export function anchorOf(prefix: string, key: string): { chain: string; seq: number } | undefined {
  const m = /^([A-Za-z0-9][-A-Za-z0-9_.]*)\/(\d{12})\.json$/.exec(key.startsWith(anchorsPrefix(prefix)) ? key.slice(anchorsPrefix(prefix).length) : '');
  return m ? { chain: m[1]!, seq: Number(m[2]) } : undefined;
}
