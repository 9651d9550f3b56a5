// Verifies the audit trail: every line's hash link and sequence number, and every checkpoint's signature. Names the
// first line that was modified, deleted, inserted or reordered, by file and line number. Pure over file contents.
import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENESIS, isV2, lineHash, verifyCheckpoint, verifyCheckpointBody, type Checkpoint, type CheckpointV1 } from './chain.js';

export interface Segment {
  name: string;
  text: string;
}

export type Verdict =
  | { ok: true; segments: number; events: number; checkpoints: number; openSegment?: string }
  | { ok: false; file: string; line: number; problem: 'modified' | 'deleted' | 'inserted' | 'reordered' | 'bad signature' | 'unreadable'; detail: string };

interface Parsed {
  seq?: number;
  prev?: string;
  checkpoint?: Checkpoint | CheckpointV1;
}

/** `fromStart: false` verifies a slice of the trail (since a date): its first line is trusted as the anchor. */
export function verifySegments(segments: Segment[], key: KeyObject, fromStart = true): Verdict {
  let prevHash = GENESIS;
  let expectedSeq = 1;
  const first = segments[0]?.text.split('\n', 1)[0];
  if (!fromStart && first) {
    try {
      const p = JSON.parse(first) as Parsed | null;
      prevHash = p?.prev ?? GENESIS;
      expectedSeq = p?.seq ?? 1;
    } catch {
      // reported below as a modified line
    }
  }
  let events = 0;
  let checkpoints = 0;
  let lastClosed = true;
  let lastName = '';
  // The previous checkpoint line's hash, which a version 2 checkpoint names; unknown at the start of a slice.
  let lastCheckpoint: string | undefined = fromStart ? GENESIS : undefined;
  for (const seg of [...segments].sort((a, b) => a.name.localeCompare(b.name))) {
    const lines = seg.text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    const seqs = lines.map((l) => {
      try {
        return (JSON.parse(l) as Parsed).seq;
      } catch {
        return undefined;
      }
    });
    for (let i = 0; i < lines.length; i++) {
      const at = { file: seg.name, line: i + 1 };
      let p: Parsed;
      try {
        p = JSON.parse(lines[i]!) as Parsed;
      } catch {
        return { ok: false, ...at, problem: 'modified', detail: 'not valid JSON' };
      }
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return { ok: false, ...at, problem: 'modified', detail: 'not a JSON object' };
      if (typeof p.seq !== 'number' || p.seq < expectedSeq) {
        return { ok: false, ...at, problem: 'inserted', detail: `sequence ${p.seq ?? 'missing'} where ${expectedSeq} was due` };
      }
      if (p.seq > expectedSeq) {
        const laterInFile = seqs.slice(i + 1).includes(expectedSeq);
        return laterInFile
          ? { ok: false, ...at, problem: 'reordered', detail: `sequence ${p.seq} comes before ${expectedSeq}` }
          : { ok: false, ...at, problem: 'deleted', detail: `events ${expectedSeq}..${p.seq - 1} are missing before this line` };
      }
      if (p.prev !== prevHash) {
        // The link breaks here, so the line before was changed (or this one's link was).
        return i === 0
          ? { ok: false, ...at, problem: 'modified', detail: 'does not continue the chain of the previous segment' }
          : { ok: false, file: seg.name, line: i, problem: 'modified', detail: 'its hash no longer matches the next line' };
      }
      if (p.checkpoint) {
        const c = p.checkpoint;
        const where = c.segment === seg.name && c.lines === i && c.last === prevHash;
        const ok = isV2(c)
          ? where && c.headSeq === expectedSeq - 1 && (lastCheckpoint === undefined || c.prevCheckpoint === lastCheckpoint) && verifyCheckpointBody(key, c)
          : where && verifyCheckpoint(key, c.segment, c.lines, c.last, c.signature);
        if (!ok) return { ok: false, ...at, problem: 'bad signature', detail: 'the checkpoint does not match the segment or its signature' };
        checkpoints++;
        lastCheckpoint = lineHash(lines[i]!);
        // A version 1 checkpoint always closed its segment; a version 2 one says whether it does.
        lastClosed = isV2(c) ? c.final : true;
      } else {
        events++;
        lastClosed = false;
      }
      prevHash = lineHash(lines[i]!);
      expectedSeq++;
    }
    lastName = seg.name;
  }
  return { ok: true, segments: segments.length, events, checkpoints, ...(lastClosed ? {} : { openSegment: lastName }) };
}

export function readSegments(dir: string, since?: string, until?: string): Segment[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .filter((f) => (!since || f.slice(0, 10) >= since.slice(0, 10)) && (!until || f.slice(0, 10) <= until.slice(0, 10)))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));
}
