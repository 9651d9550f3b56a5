// What asciinema-player's segmented source reads (its `format: "segmented"`): an index with the whole duration and
// where each segment starts, and each segment as the screen where it starts plus its events. Times are in seconds from
// the recording's start, with pauses cut to IDLE_MS when idle time is skipped; only output and resizes are sent (the
// player shows nothing else), and an empty output stands in where the player needs an event at a given time.
import { open } from 'node:fs/promises';
import { parseEventLine } from '../recording/asciicast.js';
import { IDLE_MS, type Snapshot, type TimeIndex } from './keyframes.js';

export interface SegmentedIndex {
  version: 1;
  duration: number;
  term: { cols: number; rows: number };
  segments: { start: number; url: string }[];
}

export type SegmentEvent = [number, string, string];

export function segmentedIndex(index: TimeIndex, idle: boolean, url: (k: number) => string): SegmentedIndex {
  return {
    version: 1,
    duration: (idle ? index.durationCompMs : index.durationMs) / 1000,
    term: { cols: index.cols, rows: index.rows },
    segments: index.segments.map((s, k) => ({ start: (idle ? s.compMs : s.ms) / 1000, url: url(k) })),
  };
}

/** Segment `k` of a recording: read from its byte range alone (about SEGMENT_BYTES), whatever the file's size. */
export async function segmentOf(path: string, index: TimeIndex, k: number, snapshot: Snapshot, idle: boolean): Promise<{ snapshot: Snapshot; events: SegmentEvent[] }> {
  const seg = index.segments[k]!;
  const last = k === index.segments.length - 1;
  const end = last ? index.end : index.segments[k + 1]!.offset;
  const buf = Buffer.allocUnsafe(end - seg.offset);
  const fh = await open(path, 'r');
  try {
    const { bytesRead } = await fh.read(buf, 0, buf.length, seg.offset);
    if (bytesRead !== buf.length) throw new Error('the recording is shorter than its index');
  } finally {
    await fh.close();
  }
  const events: SegmentEvent[] = [];
  let prevMs = seg.ms;
  let t = idle ? seg.compMs : seg.ms;
  for (let at = 0; at < buf.length; ) {
    let nl = buf.indexOf(0x0a, at);
    if (nl < 0) nl = buf.length;
    const e = nl > at ? parseEventLine(buf.toString('utf8', at, nl)) : undefined;
    at = nl + 1;
    if (!e) continue;
    const ms = Math.max(Math.round(e.time * 1000), prevMs);
    t += idle ? Math.min(ms - prevMs, IDLE_MS) : ms - prevMs;
    prevMs = ms;
    if (e.type === 'o' || e.type === 'r') events.push([t / 1000, e.type, e.data]);
    else if (!events.length && k > 0) events.push([t / 1000, 'o', '']); // the first event must be at the segment's start
  }
  const duration = (idle ? index.durationCompMs : index.durationMs) / 1000;
  if (!events.length || (last && events.at(-1)![0] < duration)) events.push([last ? duration : t / 1000, 'o', '']);
  return { snapshot, events };
}
