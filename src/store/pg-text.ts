// Screen text and typed lines in PostgreSQL, tokenized as SQLite's FTS5 does (screen-text.ts): a batch and the
// channel's "indexed" mark in one statement, and a phrase search that finds the same rows as the SQLite store.
import type pg from 'pg';
import type { IndexedText, ScreenHit } from './store.js';
import { phraseQueryLiteral, snippet, tsvectorLiteral } from './screen-text.js';

export async function addTexts(pool: pg.Pool, auditKey: string, channel: number, rows: IndexedText[]): Promise<void> {
  const screen = rows.filter((r) => r.kind !== 'typed');
  const typed = rows.filter((r) => r.kind === 'typed');
  const cols = (list: IndexedText[]) => [list.map((r) => r.offset), list.map((r) => r.text), list.map((r) => tsvectorLiteral(r.text))];
  // One statement for the batch (parallel arrays), not a round trip per row, and with it the mark: atomic.
  await pool.query(
    `WITH added AS (INSERT INTO screen_text (audit_key, channel, "offset", text, tokens)
       SELECT $1, $2, o, t, v::tsvector FROM unnest($3::float8[], $4::text[], $5::text[]) AS x(o, t, v)),
     typed AS (INSERT INTO typed_text (audit_key, channel, "offset", text, tokens)
       SELECT $1, $2, o, t, v::tsvector FROM unnest($6::float8[], $7::text[], $8::text[]) AS x(o, t, v))
     UPDATE channels SET screen_pending = false WHERE audit_key = $1 AND channel = $2`,
    [auditKey, channel, ...cols(screen), ...cols(typed)],
  );
}

export async function searchText(pool: pg.Pool, table: 'screen_text' | 'typed_text', query: string): Promise<ScreenHit[]> {
  // One phrase of whole words, as FTS5 reads it: the same tokens on both sides, nothing in the text is an operator.
  const phrase = phraseQueryLiteral(query);
  if (!phrase) return [];
  const { rows } = await pool.query(`SELECT audit_key, channel, "offset", text FROM ${table} WHERE tokens @@ $1::tsquery ORDER BY audit_key COLLATE "C", "offset" LIMIT 200`, [phrase]);
  return rows.map((r) => ({ auditKey: r.audit_key, channel: r.channel, offset: r.offset, snippet: snippet(r.text, query) ?? r.text }));
}
