// The search over sessions, shared by the console and `fumidai sessions search`, pure apart from the index: the query
// as given (trimmed, bounded, at least one word), and the hits of screen text and of typed lines in one list (newest
// session first, then by time).
import { distinctHits } from './session-summary.js';
import { tokenize } from '../store/screen-text.js';
import type { ScreenHit, SessionIndex } from '../store/store.js';

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

/** Screen text and typed lines holding the query, merged; at most `limit`. */
export async function searchHits(index: Pick<SessionIndex, 'searchScreen' | 'searchTyped'>, q: string, limit = MAX_HITS): Promise<{ hits: Hit[]; more: boolean }> {
  const [screen, typed] = await Promise.all([index.searchScreen(q), index.searchTyped(q)]);
  return mergeHits(screen, typed, limit);
}
