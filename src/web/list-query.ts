// The sessions list's request, read: query string fields to a store query (pure), unknown or malformed values refused
// with a message rather than silently widening the list. The cursor is opaque to the client (base64url JSON).
import { SESSION_STATES } from '../store/session-query.js';
import type { SessionCursor, SessionKind, SessionQuery } from '../store/store.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const KINDS: SessionKind[] = ['shell', 'exec', 'sftp', 'tunnel'];
/** The text filters, as the form and the API name them. */
export const TEXT_FILTERS = ['user', 'target', 'login', 'source'] as const;

export type ListParams = Partial<Record<(typeof TEXT_FILTERS)[number] | 'from' | 'to' | 'kind' | 'state' | 'limit' | 'after', string>>;

export const encodeCursor = (c: SessionCursor): string => Buffer.from(JSON.stringify([c.live ? 1 : 0, c.startedAt, c.auditKey])).toString('base64url');

export function decodeCursor(text: string): SessionCursor | undefined {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 3 || (v[0] !== 0 && v[0] !== 1) || typeof v[1] !== 'string' || typeof v[2] !== 'string') return undefined;
    return { live: v[0] === 1, startedAt: v[1], auditKey: v[2] };
  } catch {
    return undefined;
  }
}

/**
 * A time from the form (`2026-12-05T14:30`, a datetime-local field: UTC) or the API (any ISO 8601 time), as the
 * store's ISO form; undefined if it is not a time.
 */
export function parseTime(text: string): string | undefined {
  const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The store query of a request, or the first thing wrong with it. Empty fields are no filter (a submitted form). */
export function listQuery(params: ListParams): { query: SessionQuery } | { error: string } {
  const p = Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === 'string' && v.trim() !== '').map(([k, v]) => [k, v!.trim()])) as ListParams;
  const q: SessionQuery = { limit: DEFAULT_LIMIT };
  if (p.limit !== undefined) {
    if (!/^\d{1,6}$/.test(p.limit) || Number(p.limit) < 1) return { error: 'limit: a whole number from 1' };
    q.limit = Math.min(Number(p.limit), MAX_LIMIT);
  }
  for (const f of TEXT_FILTERS) {
    const v = p[f];
    if (v === undefined) continue;
    if (v.length > 256) return { error: `${f}: too long` };
    q[f === 'source' ? 'sourceIp' : f] = v;
  }
  for (const f of ['from', 'to'] as const) {
    if (p[f] === undefined) continue;
    const t = parseTime(p[f]);
    if (!t) return { error: `${f}: not a time (YYYY-MM-DDTHH:MM, UTC, or ISO 8601)` };
    q[f] = t;
  }
  if (p.kind !== undefined) {
    if (!KINDS.includes(p.kind as SessionKind)) return { error: `kind: one of ${KINDS.join(', ')}` };
    q.kind = p.kind as SessionKind;
  }
  if (p.state !== undefined) {
    if (!(SESSION_STATES as readonly string[]).includes(p.state)) return { error: `state: one of ${SESSION_STATES.join(', ')}` };
    q.state = p.state as SessionQuery['state'];
  }
  if (p.after !== undefined) {
    const c = decodeCursor(p.after);
    if (!c) return { error: 'after: not a cursor of this list' };
    q.after = c;
  }
  return { query: q };
}

/** The query string of the next page: the same filters, the cursor replaced. */
export function nextPageQuery(params: ListParams, next: SessionCursor): string {
  const keep = Object.entries(params).filter(([k, v]) => k !== 'after' && typeof v === 'string' && v.trim() !== '') as [string, string][];
  return new URLSearchParams([...keep, ['after', encodeCursor(next)]]).toString();
}
