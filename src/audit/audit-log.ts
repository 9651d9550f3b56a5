// The append-only audit trail: JSON Lines, one segment per UTC day and chain (a node, or a node's admin commands),
// every line chained to the previous one by sha256 and numbered. Checkpoints signed by the ed25519 audit key are
// lines of the chain too: one at most every `checkpointIntervalMs` while events come (so the head is signed within
// about a second, ready to leave the host), and a final one that closes each segment (the day ended, or a clean stop).
// Appends are durable when their promise resolves (write + fsync); concurrent appends share one fsync.
import { randomUUID, type KeyObject } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, truncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GENESIS, keyFingerprint, lineHash, signCheckpointBody, type Checkpoint, type CoveredRecording } from './chain.js';
import { assertNoSecrets, defaultResult, EVENT_CODES, type AuditEvent, type EventInput } from './events.js';

export const segmentName = (at: Date) => `${at.toISOString().slice(0, 10)}.jsonl`;

export interface AuditLogOptions {
  /** The chain's name in its checkpoints; the directory's name when absent. */
  chain?: string;
  now?: () => Date;
  /** A checkpoint at most this often while events are written; 0: only the final one of each segment. */
  checkpointIntervalMs?: number;
  /** Each checkpoint, once it is on disk: the line as written (to leave the host) and what it says. */
  onCheckpoint?: (line: string, checkpoint: Checkpoint) => void;
}

interface Tail {
  segment: string;
  lines: number;
  last: string;
  seq: number;
  /** The last line is a final checkpoint: the segment is closed. */
  closed: boolean;
  /** Hash of the chain's last checkpoint line. */
  lastCheckpoint: string;
  /** Lines written since the last checkpoint. */
  since: number;
}

function parse(line: string): { seq?: number; checkpoint?: { final?: boolean; v?: number } } {
  try {
    return JSON.parse(line) as { seq?: number; checkpoint?: { final?: boolean; v?: number } };
  } catch {
    return {}; // a broken line is for verify to report; the chain goes on after it
  }
}

/**
 * A line the writer never finished (the process died in the middle of a write) is moved to `<segment>.torn`, so the
 * chain goes on from the last whole line and nothing is destroyed. Returns the bytes moved.
 */
function cutTornLine(path: string): number {
  const text = readFileSync(path);
  const end = text.lastIndexOf(0x0a) + 1;
  if (end === text.length) return 0;
  appendFileSync(`${path}.torn`, text.subarray(end), { mode: 0o600 });
  truncateSync(path, end);
  return text.length - end;
}

/** Reads where the chain stands: the newest segment, its line count, last hash, sequence number, last checkpoint. */
function readTail(dir: string): Tail | undefined {
  const segments = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  const newest = segments.at(-1);
  if (!newest) return undefined;
  const lines = readFileSync(join(dir, newest), 'utf8').split('\n').filter(Boolean);
  if (lines.length === 0) return undefined;
  let seq = 0;
  for (let i = lines.length - 1; i >= 0 && seq === 0; i--) seq = parse(lines[i]!).seq ?? 0;
  const lastLine = lines.at(-1)!;
  const cp = parse(lastLine).checkpoint;
  // The last checkpoint: in the newest segment, or else the one that closed an earlier segment.
  let lastCheckpoint = GENESIS;
  let since = 0;
  for (const [i, segment] of [...segments].reverse().entries()) {
    const text = i === 0 ? lines : readFileSync(join(dir, segment), 'utf8').split('\n').filter(Boolean);
    let at = text.length - 1;
    while (at >= 0 && parse(text[at]!).checkpoint === undefined) at--;
    if (i === 0) since = lines.length - 1 - at;
    if (at !== -1) {
      lastCheckpoint = lineHash(text[at]!);
      break;
    }
  }
  // A version 1 checkpoint always closed its segment.
  const closed = cp !== undefined && (cp.final === true || cp.v === undefined);
  return { segment: newest, lines: lines.length, last: lineHash(lastLine), seq, closed, lastCheckpoint, since };
}

type Queued = { line: string; done: (err?: Error) => void } | { checkpoint: boolean; done: (err?: Error) => void };

export class AuditLog {
  readonly dir: string;
  #key: KeyObject;
  #fingerprint: string;
  #chainName: string;
  #now: () => Date;
  #interval: number;
  #onCheckpoint: (line: string, checkpoint: Checkpoint) => void;
  #tail: Tail | undefined;
  #fh: FileHandle | undefined;
  #fhSegment = '';
  #size = 0;
  #queue: Queued[] = [];
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Recordings sealed since the last checkpoint, for the next one to cover. */
  #recordings: CoveredRecording[] = [];
  onEvent: (event: AuditEvent) => void = () => undefined;
  /** An unfinished last line found at open, moved to `<segment>.torn`. */
  readonly torn: { segment: string; bytes: number } | undefined;

  constructor(dir: string, key: KeyObject, opts: AuditLogOptions | (() => Date) = {}) {
    const o = typeof opts === 'function' ? { now: opts } : opts;
    this.dir = dir;
    this.#key = key;
    this.#fingerprint = keyFingerprint(key);
    this.#chainName = o.chain ?? basename(dir);
    this.#now = o.now ?? (() => new Date());
    this.#interval = o.checkpointIntervalMs ?? 0;
    this.#onCheckpoint = o.onCheckpoint ?? (() => undefined);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const newest = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().at(-1);
    const torn = newest ? cutTornLine(join(dir, newest)) : 0;
    if (torn) this.torn = { segment: newest!, bytes: torn };
    this.#tail = readTail(dir);
  }

  /** Appends an event; resolves once it is on disk. */
  record(input: EventInput): Promise<AuditEvent> {
    assertNoSecrets(input);
    const event: AuditEvent = {
      eventId: randomUUID(),
      eventTime: this.#now().toISOString(),
      eventCode: EVENT_CODES[input.eventName],
      ...input,
      result: input.result ?? defaultResult(input.eventName),
    };
    this.onEvent(event);
    return new Promise((resolve, reject) => {
      this.#queue.push({ line: JSON.stringify(event), done: (err) => (err ? reject(err) : resolve(event)) });
      this.#kick();
    });
  }

  /** Signs the head now (if anything was written since the last checkpoint); resolves once it is on disk. */
  checkpoint(final = false): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ checkpoint: final, done: (err) => (err ? reject(err) : resolve()) });
      this.#kick();
    });
  }

  #kick(): void {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
      if (this.#queue.length) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const batch = this.#queue.splice(0);
    const checkpoints: { line: string; checkpoint: Checkpoint }[] = [];
    try {
      // Events go to today's segment (closing the previous day's first); a checkpoint alone signs where the chain is.
      const today = segmentName(this.#now());
      const events = batch.some((item) => 'line' in item);
      if (events && this.#tail && this.#tail.segment !== today) await this.#rollOver(today, checkpoints);
      const segment = events ? today : (this.#tail?.segment ?? today);
      const before = this.#tail && { ...this.#tail };
      const covered = [...this.#recordings];
      let text = '';
      try {
        for (const item of batch) {
          if ('line' in item) {
            text += this.#chain(segment, JSON.parse(item.line) as object);
            this.#cover(item.line);
          } else if (this.#tail && (this.#tail.since > 0 || (item.checkpoint && !this.#tail.closed && this.#tail.lines > 0))) {
            const c = this.#checkpointLine(item.checkpoint);
            text += c.text;
            checkpoints.push(c);
          }
        }
        await this.#append(segment, text);
      } catch (err) {
        // Nothing of the batch was written (#append takes back a partial write): the chain goes on from where it stood.
        this.#tail = before;
        this.#recordings = covered;
        checkpoints.length = 0;
        throw err;
      }
      batch.forEach((b) => b.done());
      this.#schedule();
    } catch (err) {
      batch.forEach((b) => b.done(err as Error));
    }
    for (const c of checkpoints) this.#onCheckpoint(c.line, c.checkpoint);
  }

  /** The day ended: its segment is closed by a final checkpoint, in its own file, and the next begins. */
  async #rollOver(segment: string, checkpoints: { line: string; checkpoint: Checkpoint }[]): Promise<void> {
    const t = this.#tail!;
    if (!t.closed) {
      const covered = [...this.#recordings];
      const c = this.#checkpointLine(true);
      try {
        await this.#append(t.segment, c.text);
      } catch (err) {
        this.#tail = t;
        this.#recordings = covered;
        throw err;
      }
      checkpoints.push(c);
    }
    this.#tail = { ...this.#tail!, segment, lines: 0, closed: false };
  }

  /** A sealed recording's digest goes into the next checkpoint. */
  #cover(eventLine: string): void {
    const e = JSON.parse(eventLine) as AuditEvent;
    if (e.eventName !== 'RecordingSealed' && e.eventName !== 'RecordingInterrupted') return;
    const d = e.details as { path?: string; sha256?: string; bytes?: number } | undefined;
    if (d?.path && d.sha256) this.#recordings.push({ path: d.path, sha256: d.sha256, ...(d.bytes === undefined ? {} : { bytes: d.bytes }) });
  }

  #schedule(): void {
    if (!this.#interval || this.#timer || !this.#tail || this.#tail.since === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.checkpoint().catch(() => undefined); // a failed write is retried at the next event's checkpoint
    }, this.#interval);
    this.#timer.unref();
  }

  /** Adds seq and prev to a record, advancing the chain. */
  #chain(segment: string, record: object, isCheckpoint?: { final: boolean }): string {
    const tail = this.#tail ?? { segment, lines: 0, last: GENESIS, seq: 0, closed: false, lastCheckpoint: GENESIS, since: 0 };
    const line = JSON.stringify({ seq: tail.seq + 1, prev: tail.last, ...record });
    const hash = lineHash(line);
    this.#tail = {
      segment,
      lines: tail.segment === segment ? tail.lines + 1 : 1,
      last: hash,
      seq: tail.seq + 1,
      closed: Boolean(isCheckpoint?.final),
      lastCheckpoint: isCheckpoint ? hash : tail.lastCheckpoint,
      since: isCheckpoint ? 0 : tail.since + 1,
    };
    return line + '\n';
  }

  /** The signed checkpoint line for the head of the current segment. */
  #checkpointLine(final: boolean): { text: string; line: string; checkpoint: Checkpoint } {
    const t = this.#tail!;
    const checkpoint = signCheckpointBody(this.#key, {
      v: 2, chain: this.#chainName, segment: t.segment, lines: t.lines, last: t.last, headSeq: t.seq,
      prevCheckpoint: t.lastCheckpoint, at: this.#now().toISOString(), final, recordings: this.#recordings.splice(0),
      keyFingerprint: this.#fingerprint,
    });
    const text = this.#chain(t.segment, { checkpoint }, { final });
    return { text, line: text.slice(0, -1), checkpoint };
  }

  async #append(segment: string, text: string): Promise<void> {
    if (!text) return;
    if (this.#fhSegment !== segment) {
      await this.#fh?.close();
      this.#fh = await open(join(this.dir, segment), 'a', 0o600);
      this.#fhSegment = segment;
      this.#size = (await this.#fh.stat()).size;
    }
    const size = this.#size;
    const bytes = Buffer.from(text);
    try {
      // A write may be cut short without an error (a filesystem that just filled up): go on until all is written, or
      // the write fails.
      for (let done = 0; done < bytes.length; ) {
        const { bytesWritten } = await this.#fh!.write(bytes, done);
        if (bytesWritten === 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        done += bytesWritten;
      }
      await this.#fh!.sync();
      this.#size += bytes.length;
    } catch (err) {
      // A write cut short (a full disk) must not leave a torn line in the evidence: take it back.
      await this.#fh!.truncate(size).catch(() => undefined);
      throw err;
    }
  }

  /** Ends the current segment with a final signed checkpoint (clean shutdown) and closes the file. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    if (this.#tail && !this.#tail.closed && this.#tail.lines > 0) await this.checkpoint(true);
    clearTimeout(this.#timer);
    await this.#fh?.close();
    this.#fh = undefined;
    this.#fhSegment = '';
  }
}
