// The append-only audit trail: JSON Lines, one segment per UTC day and node, every line chained to the previous one by
// sha256 and numbered, each closed segment ending with a checkpoint signed by the node's ed25519 audit key.
// Appends are durable when their promise resolves (write + fsync); concurrent appends share one fsync.
import { randomUUID, type KeyObject } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GENESIS, lineHash, signCheckpoint } from './chain.js';
import { assertNoSecrets, defaultResult, EVENT_CODES, type AuditEvent, type EventInput } from './events.js';

export const segmentName = (at: Date) => `${at.toISOString().slice(0, 10)}.jsonl`;

interface Tail {
  segment: string;
  lines: number;
  last: string;
  seq: number;
  closed: boolean;
}

/** Reads where the chain stands: the newest segment, its line count, last hash and sequence number. */
function readTail(dir: string): Tail | undefined {
  const segments = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  const newest = segments.at(-1);
  if (!newest) return undefined;
  const lines = readFileSync(join(dir, newest), 'utf8').split('\n').filter(Boolean);
  let seq = 0;
  for (let i = lines.length - 1; i >= 0 && seq === 0; i--) seq = (JSON.parse(lines[i]!) as { seq?: number }).seq ?? 0;
  const lastLine = lines.at(-1)!;
  return { segment: newest, lines: lines.length, last: lineHash(lastLine), seq, closed: 'checkpoint' in JSON.parse(lastLine) };
}

export class AuditLog {
  readonly dir: string;
  #key: KeyObject;
  #now: () => Date;
  #tail: Tail | undefined;
  #fh: FileHandle | undefined;
  #fhSegment = '';
  #queue: { line: string; done: (err?: Error) => void }[] = [];
  #writing: Promise<void> | undefined;
  onEvent: (event: AuditEvent) => void = () => undefined;

  constructor(dir: string, key: KeyObject, now: () => Date = () => new Date()) {
    this.dir = dir;
    this.#key = key;
    this.#now = now;
    mkdirSync(dir, { recursive: true, mode: 0o750 });
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

  #kick(): void {
    this.#writing ??= this.#drain().finally(() => {
      this.#writing = undefined;
      if (this.#queue.length) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const batch = this.#queue.splice(0);
    try {
      const segment = segmentName(this.#now());
      let text = '';
      if (this.#tail && this.#tail.segment !== segment && !this.#tail.closed) text += await this.#closeSegmentText();
      if (this.#tail && this.#tail.segment !== segment) this.#tail = { ...this.#tail, segment, lines: 0, closed: false };
      for (const { line } of batch) text += this.#chain(segment, line);
      await this.#append(segment, text);
      batch.forEach((b) => b.done());
    } catch (err) {
      batch.forEach((b) => b.done(err as Error));
    }
  }

  /** Adds seq and prev to an event line, advancing the chain. */
  #chain(segment: string, eventJson: string, extra?: object): string {
    const tail = this.#tail ?? { segment, lines: 0, last: GENESIS, seq: 0, closed: false };
    const record = { seq: tail.seq + 1, prev: tail.last, ...(extra ?? JSON.parse(eventJson)) };
    const line = JSON.stringify(record);
    this.#tail = { segment, lines: tail.segment === segment ? tail.lines + 1 : 1, last: lineHash(line), seq: tail.seq + 1, closed: Boolean(extra) };
    return line + '\n';
  }

  /** The signed checkpoint line that ends the current segment. */
  async #closeSegmentText(): Promise<string> {
    const t = this.#tail!;
    const signature = signCheckpoint(this.#key, t.segment, t.lines, t.last);
    const segment = t.segment;
    const line = this.#chain(segment, '', { checkpoint: { segment, lines: t.lines, last: t.last, signature, at: this.#now().toISOString() } });
    // The checkpoint belongs to the old segment's file.
    await this.#append(segment, line);
    return '';
  }

  async #append(segment: string, text: string): Promise<void> {
    if (!text) return;
    if (this.#fhSegment !== segment) {
      await this.#fh?.close();
      this.#fh = await open(join(this.dir, segment), 'a', 0o640);
      this.#fhSegment = segment;
    }
    await this.#fh!.write(text);
    await this.#fh!.sync();
  }

  /** Ends the current segment with a signed checkpoint (clean shutdown) and closes the file. */
  async close(): Promise<void> {
    await this.#writing;
    if (this.#tail && !this.#tail.closed && this.#tail.lines > 0) await this.#closeSegmentText();
    await this.#fh?.close();
    this.#fh = undefined;
    this.#fhSegment = '';
  }
}
