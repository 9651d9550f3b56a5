// Reads the audit trail's events for the console: every chain's daily segments, newest day first, stopping once a day
// has filled the page (a filter for last hour reads one day, not the whole trail). Checkpoint lines are not events.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEvent } from '../audit/events.js';
import { segmentInRange } from '../audit/segment-range.js';
import type { SessionRecord } from '../store/store.js';
import { matches, pageOf, type EventFilter } from './event-filter.js';

async function segmentsByDay(root: string, since?: string, until?: string): Promise<Map<string, string[]>> {
  const days = new Map<string, string[]>();
  if (!existsSync(root)) return days;
  for (const chain of await readdir(root, { withFileTypes: true })) {
    if (!chain.isDirectory()) continue;
    for (const f of await readdir(join(root, chain.name))) {
      if (!f.endsWith('.jsonl') || !segmentInRange(f, since, until)) continue;
      const day = f.slice(0, 10);
      days.set(day, [...(days.get(day) ?? []), join(root, chain.name, f)]);
    }
  }
  return days;
}

function eventsOf(text: string): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as AuditEvent & { checkpoint?: unknown };
      if (!e.checkpoint && typeof e.eventName === 'string' && typeof e.eventTime === 'string') out.push(e);
    } catch {
      // a torn or edited line: `audit verify` names it; the page shows what reads
    }
  }
  return out;
}

/** The page of events the filter asks for, newest first, and the cursor of the next page. */
export async function readEvents(root: string, f: EventFilter): Promise<{ events: AuditEvent[]; next?: string }> {
  const days = await segmentsByDay(root, f.since, f.until ?? (f.before ? f.before.slice(0, 10) : undefined));
  const found: AuditEvent[] = [];
  for (const day of [...days.keys()].sort().reverse()) {
    for (const file of days.get(day)!) found.push(...eventsOf(await readFile(file, 'utf8')).filter((e) => matches(e, f)));
    // A day's events may be later than the previous day's only by clock skew between nodes: a full page stops here.
    if (found.length > f.limit) break;
  }
  return pageOf(found, f.limit);
}

/** A session's own events (those that name it as their session), oldest first: the days it spans only. */
export async function sessionEvents(root: string, s: Pick<SessionRecord, 'auditKey' | 'startedAt' | 'endedAt'>, limit = 200): Promise<{ events: AuditEvent[]; more: boolean }> {
  const days = await segmentsByDay(root, s.startedAt, s.endedAt ?? new Date().toISOString());
  const found: AuditEvent[] = [];
  for (const day of [...days.keys()].sort()) {
    for (const file of days.get(day)!) found.push(...eventsOf(await readFile(file, 'utf8')).filter((e) => e.sessionId === s.auditKey));
  }
  found.sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  return { events: found.slice(0, limit), more: found.length > limit };
}
