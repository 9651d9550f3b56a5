// The checkpoints a SIEM stored, read back from its file (one RFC 5424 message a line, as rsyslog's
// RSYSLOG_SyslogProtocol23Format writes them) for `audit verify --syslog-export`. A line that is not a fumidai
// checkpoint message is someone else's and skipped; one that claims to be but does not carry a checkpoint signed by
// the trusted key is named: a forged or garbled anchor is not evidence either way, and is worth an auditor's look.
import type { KeyObject } from 'node:crypto';
import { isV2, verifyCheckpointBody, type Checkpoint } from '../audit/chain.js';
import { CHECKPOINT_MSGID, parseMessage, SD_ID } from './syslog-message.js';

export interface ExportedAnchors {
  /** Each chain's checkpoint lines, verbatim, once each (a checkpoint sent twice is stored twice). */
  anchors: Map<string, string[]>;
  /** One line per fumidai checkpoint message that is unreadable or fails its signature. */
  problems: string[];
  /** Lines that are not fumidai checkpoints. */
  skipped: number;
}

const CHECKPOINT_KEYS = ['at', 'chain', 'final', 'headSeq', 'keyFingerprint', 'last', 'lines', 'prevCheckpoint', 'recordings', 'segment', 'signature', 'v'].join();
const sortedKeys = (o: object) => Object.keys(o).sort().join();

/**
 * The checkpoint a message carries, if its MSG is a checkpoint line exactly as the trail writes it. The line's own
 * fields (seq, prev) are outside the signature, so they must follow from the signed ones, and nothing may be added:
 * then every byte of an accepted line is vouched for by the signature, and a garbled one is named here rather than
 * taken for a line the trail should hold.
 */
function checkpointOf(msg: string): Checkpoint | undefined {
  try {
    const r = JSON.parse(msg) as { seq?: unknown; prev?: unknown; checkpoint?: Checkpoint };
    const c = r.checkpoint;
    if (JSON.stringify(r) !== msg || Object.keys(r).join() !== 'seq,prev,checkpoint' || !c || typeof c !== 'object') return undefined;
    if (sortedKeys(c) !== CHECKPOINT_KEYS || !isV2(c) || r.seq !== c.headSeq + 1 || r.prev !== c.last) return undefined;
    const covered = Array.isArray(c.recordings) && c.recordings.every((x) => x && typeof x === 'object' && Object.keys(x).every((k) => ['path', 'sha256', 'bytes'].includes(k)));
    return covered && typeof c.chain === 'string' && typeof c.signature === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Base64 as the signer wrote it: a decoder skips characters outside the alphabet, so a signature with one inserted
 * would still verify, and the line, not being the one the trail holds, would accuse the trail of an edit.
 */
const canonical = (signature: string) => Buffer.from(signature, 'base64').toString('base64') === signature;

/** Reads an export's text; `where` names it in the problems (e.g. the file's path). */
export function readSyslogExport(text: string, key: KeyObject, where: string): ExportedAnchors {
  const anchors = new Map<string, Set<string>>();
  const problems: string[] = [];
  let skipped = 0;
  for (const [i, line] of text.split('\n').entries()) {
    const m = parseMessage(line.endsWith('\r') ? line.slice(0, -1) : line);
    const claim = m?.msgId === CHECKPOINT_MSGID ? m.sd.get(SD_ID) : undefined;
    if (!m || !claim) {
      if (line.trim()) skipped++;
      continue;
    }
    const name = `${where} line ${i + 1} (chain ${claim.chain ?? '?'}, seq ${claim.seq ?? '?'})`;
    const c = checkpointOf(m.msg);
    if (!c) problems.push(`${name}: a fumidai checkpoint message without a readable checkpoint line (cut short by the receiver's maximum message size?)`);
    else if (!canonical(c.signature) || !verifyCheckpointBody(key, c)) problems.push(`${name}: the checkpoint fails its signature under the trusted audit key`);
    else {
      if (!anchors.has(c.chain)) anchors.set(c.chain, new Set());
      anchors.get(c.chain)!.add(m.msg);
    }
  }
  return { anchors: new Map([...anchors].map(([chain, lines]) => [chain, [...lines]])), problems, skipped };
}
