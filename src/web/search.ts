// The console's search, pure: the query and the merged hits (screen text and typed lines) come from
// playback/search-hits.ts, shared with `fumidai sessions search`; here the snippet split around the match for
// highlighting: the store marks it with [ ], which the text itself may also hold, so each match is found again by
// its words and only the marks right around it are dropped.
import { tokenize } from '../store/screen-text.js';

export { MAX_HITS, MAX_QUERY, mergeHits, parseQuery, type Hit, type ParsedQuery } from '../playback/search-hits.js';

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
