// Screen-text search without SQLite's FTS5: the same tokens as its unicode61 tokenizer (runs of letters and digits,
// lower case, diacritics removed), phrase matching on them, and a snippet with the match in [brackets].
// Pure, so the PostgreSQL store answers exactly what the SQLite store answers.

export interface Token {
  text: string;
  start: number;
  end: number;
}

const TOKEN = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
const MAX_POSITION = 16383; // PostgreSQL's limit for tsvector positions

/** The tokens of a text with where they are in it. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const norm = m[0].normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    if (norm) out.push({ text: norm, start: m.index!, end: m.index! + m[0].length });
  }
  return out;
}

const quote = (t: string) => `'${t.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;

/** A tsvector literal of the text's tokens and positions (no parser, no locale: exact tokens). */
export function tsvectorLiteral(text: string): string {
  const positions = new Map<string, number[]>();
  tokenize(text).forEach((t, i) => {
    const list = positions.get(t.text) ?? [];
    list.push(Math.min(i + 1, MAX_POSITION));
    positions.set(t.text, list);
  });
  return [...positions].map(([t, p]) => `${quote(t)}:${[...new Set(p)].join(',')}`).join(' ');
}

/** A tsquery literal for the query as one phrase; undefined when it has no token (matches nothing, as in FTS5). */
export function phraseQueryLiteral(query: string): string | undefined {
  const tokens = tokenize(query);
  return tokens.length ? tokens.map((t) => quote(t.text)).join(' <-> ') : undefined;
}

/** The first place the phrase occurs, marked with [ ], in a window of about `width` tokens (… where cut). */
export function snippet(text: string, query: string, width = 12): string | undefined {
  const tokens = tokenize(text);
  const want = tokenize(query).map((t) => t.text);
  if (!want.length) return undefined;
  const at = tokens.findIndex((_, i) => want.every((w, j) => tokens[i + j]?.text === w));
  if (at < 0) return undefined;
  const n = want.length;
  const first = Math.max(0, Math.min(at - Math.floor(Math.max(0, width - n) / 2), tokens.length - width));
  const last = Math.min(tokens.length, Math.max(first + width, at + n)) - 1;
  const from = first === 0 ? 0 : tokens[first]!.start;
  const to = last === tokens.length - 1 ? text.length : tokens[last]!.end;
  const s = tokens[at]!.start;
  const e = tokens[at + n - 1]!.end;
  return (first > 0 ? '…' : '') + text.slice(from, s) + '[' + text.slice(s, e) + ']' + text.slice(e, to) + (last < tokens.length - 1 ? '…' : '');
}
