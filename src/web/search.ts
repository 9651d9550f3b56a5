// The console's search, pure: the query as given (trimmed, bounded, at least one word), the hits of screen text and
// of typed lines in one list (newest session first, then by time), and a snippet split around the match for
// highlighting: the store marks it with [ ], which the text itself may also hold, so each match is found again by
// its words and only the marks right around it are dropped.
import { distinctHits } from '../playback/session-summary.js';
import { tokenize } from '../store/screen-text.js';
import type { ScreenHit } from '../store/store.js';

export const MAX_QUERY = 200;
export const MAX_HITS = 50;

export type ParsedQuery = { q: string } | { error: string };

/** undefined: no query yet (the empty form). */
export function parseQuery(raw: unknown): ParsedQuery | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') return { error: 'one query, as text' };
  const q = raw.trim();
  if (!q) return undefined;
  if (q.length > MAX_QUERY) return { error: `the query is longer than ${MAX_QUERY} characters` };
  if (!tokenize(q).length) return { error: 'the query has no word to look for (letters or digits)' };
  return { q };
}

export interface Hit extends ScreenHit {
  source: 'screen' | 'typed';
  /** How many screen snapshots showed the same text (1 for a typed line). */
  times: number;
}

/** Both kinds of hits, newest session first (audit keys begin with their start time), each by offset; at most `limit`. */
export function mergeHits(screen: ScreenHit[], typed: ScreenHit[], limit = MAX_HITS): { hits: Hit[]; more: boolean } {
  const all: Hit[] = [...typed.map((h) => ({ ...h, source: 'typed' as const, times: 1 })), ...distinctHits(screen).map((h) => ({ ...h, source: 'screen' as const }))];
  all.sort((a, b) => (a.auditKey < b.auditKey ? 1 : a.auditKey > b.auditKey ? -1 : a.offset - b.offset || (a.source === 'typed' ? -1 : 1)));
  return { hits: all.slice(0, limit), more: all.length > limit };
}

export interface Part {
  text: string;
  mark: boolean;
}

/** The snippet in parts, every occurrence of the query's words marked; the store's [ ] around each dropped. */
export function highlight(snippet: string, query: string): Part[] {
  const tokens = tokenize(snippet);
  const want = tokenize(query).map((t) => t.text);
  const parts: Part[] = [];
  let from = 0;
  for (let i = 0; want.length && i + want.length <= tokens.length; i++) {
    if (!want.every((w, j) => tokens[i + j]!.text === w)) continue;
    const start = tokens[i]!.start;
    const end = tokens[i + want.length - 1]!.end;
    const marked = snippet[start - 1] === '[' && snippet[end] === ']';
    parts.push({ text: snippet.slice(from, marked ? start - 1 : start), mark: false }, { text: snippet.slice(start, end), mark: true });
    from = marked ? end + 1 : end;
    i += want.length - 1;
  }
  parts.push({ text: snippet.slice(from), mark: false });
  return parts.filter((p) => p.text !== '');
}

/**
 * The offset as the player's time, to the millisecond: a typed line's offset is its Enter, and the keys before it
 * came some 30 ms apart, so a coarser time would show the line cut short.
 */
export const startTime = (offset: number): string => Math.max(0, offset).toFixed(3);
