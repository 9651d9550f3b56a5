// The audit trail's filters as the console takes them from a query string, pure: each one checked (an event type
// from the registry, an audit key's form, ISO times, a severity), a bounded page size, and a cursor for the next page
// (newest first: events strictly older than the last one shown, by time then id).
import { EVENT_CODES, type AuditEvent, type EventName } from '../audit/events.js';
import { AUDIT_KEY } from '../shipping/object-keys.js';

export const MAX_EVENTS = 500;
export const DEFAULT_EVENTS = 100;

export interface EventFilter {
  type?: EventName;
  user?: string;
  auditKey?: string;
  since?: string;
  until?: string;
  severity?: 'info' | 'warning';
  limit: number;
  /** Only events older than this one (its cursor). */
  before?: string;
}

const iso = (v: string): string | undefined => {
  const t = Date.parse(v);
  return /^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(t) ? new Date(t).toISOString() : undefined;
};

/** The filter, or the first field that is wrong and why. Empty fields are no filter. */
export function parseEventFilter(q: Record<string, unknown>): { filter: EventFilter } | { error: string } {
  const text = (k: string): string | undefined => (typeof q[k] === 'string' && (q[k] as string).trim() !== '' ? (q[k] as string).trim() : undefined);
  const filter: EventFilter = { limit: DEFAULT_EVENTS };
  const type = text('type');
  if (type !== undefined) {
    if (!Object.hasOwn(EVENT_CODES, type)) return { error: `type: no event type '${type}'` };
    filter.type = type as EventName;
  }
  const user = text('user');
  if (user !== undefined) {
    if (user.length > 64) return { error: 'user: at most 64 characters' };
    filter.user = user;
  }
  const auditKey = text('auditKey');
  if (auditKey !== undefined) {
    if (!AUDIT_KEY.test(auditKey)) return { error: 'auditKey: not an audit key' };
    filter.auditKey = auditKey;
  }
  for (const k of ['since', 'until'] as const) {
    const v = text(k);
    if (v === undefined) continue;
    const t = iso(v);
    if (!t) return { error: `${k}: not an ISO time (2026-12-01 or 2026-12-01T10:00:00Z)` };
    filter[k] = t;
  }
  const severity = text('severity');
  if (severity !== undefined) {
    if (severity !== 'info' && severity !== 'warning') return { error: 'severity: info or warning' };
    filter.severity = severity;
  }
  const limit = text('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_EVENTS) return { error: `limit: a whole number from 1 to ${MAX_EVENTS}` };
    filter.limit = n;
  }
  const before = text('before');
  if (before !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\|[-\w]{1,64}$/.test(before)) return { error: 'before: not a cursor from a previous page' };
    filter.before = before;
  }
  return { filter };
}

/** Where an event sorts: newest first by time, then by id. */
export const cursorOf = (e: Pick<AuditEvent, 'eventTime' | 'eventId'>): string => `${e.eventTime}|${e.eventId}`;

export function matches(e: AuditEvent, f: EventFilter): boolean {
  if (f.type && e.eventName !== f.type) return false;
  if (f.user && e.user !== f.user) return false;
  if (f.auditKey && e.sessionId !== f.auditKey && e.details?.auditKey !== f.auditKey) return false;
  if (f.since && e.eventTime < f.since) return false;
  if (f.until && e.eventTime >= f.until) return false;
  if (f.severity && e.eventCode.endsWith('W') !== (f.severity === 'warning')) return false;
  if (f.before && cursorOf(e) >= f.before) return false;
  return true;
}

/** The filters given, as text: what an AuditViewed event says was looked at. */
export function filterFields(f: EventFilter): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['type', 'user', 'auditKey', 'since', 'until', 'severity', 'before'] as const) if (f[k] !== undefined) out[k] = String(f[k]);
  return out;
}

/** The newest `limit` of the events given (any order), and the cursor of the next page when there are more. */
export function pageOf(events: AuditEvent[], limit: number): { events: AuditEvent[]; next?: string } {
  const sorted = [...events].sort((a, b) => (cursorOf(a) < cursorOf(b) ? 1 : -1));
  const page = sorted.slice(0, limit);
  return sorted.length > limit ? { events: page, next: cursorOf(page.at(-1)!) } : { events: page };
}

/** The report's period: since and until as ISO times; by default the last 30 days up to the end of today (UTC). */
export function parsePeriod(q: Record<string, unknown>, now = new Date()): { since: string; until: string } | { error: string } {
  const day = 86_400_000;
  const endOfToday = Math.floor(now.getTime() / day) * day + day;
  const out = { since: new Date(endOfToday - 31 * day).toISOString(), until: new Date(endOfToday).toISOString() };
  for (const k of ['since', 'until'] as const) {
    const v = typeof q[k] === 'string' ? (q[k] as string).trim() : '';
    if (!v) continue;
    const t = iso(v);
    if (!t) return { error: `${k}: not an ISO time (2026-12-01 or 2026-12-01T10:00:00Z)` };
    out[k] = t;
  }
  return out.since < out.until ? out : { error: 'since must be before until' };
}
