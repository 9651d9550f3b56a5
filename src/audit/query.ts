// SQL over the audit trail with DuckDB: a view `events` over every node's JSON Lines segments (checkpoints left out),
// as an auditor would query a bucket of logs with Athena.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { segmentInRange } from './segment-range.js';

const COLUMNS = `{seq: 'BIGINT', eventId: 'VARCHAR', eventTime: 'TIMESTAMPTZ', eventName: 'VARCHAR', eventCode: 'VARCHAR',
  sessionId: 'VARCHAR', "user": 'VARCHAR', sourceIp: 'VARCHAR', sourcePort: 'INTEGER', target: 'VARCHAR', login: 'VARCHAR',
  result: 'VARCHAR', reason: 'VARCHAR', details: 'JSON'}`;

/** Every chain's segments under an audit directory; with since/until, only those of the days they span. */
export function segmentFiles(root: string, since?: string, until?: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => readdirSync(join(root, d.name)).filter((f) => f.endsWith('.jsonl') && segmentInRange(f, since, until)).map((f) => join(root, d.name, f)))
    .sort();
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

export interface EventsView {
  /** Only events in this time range (ISO times; until excluded). */
  since?: string;
  until?: string;
  /** Shows `filename` under another root: the bucket's URL for segments fetched into a temporary directory. */
  filenames?: { from: string; to: string };
  /** The one file an export may write. */
  writes?: string;
}

/**
 * An in-memory DuckDB that reaches only the audit segments (and an export's one output file): external access off
 * and the configuration locked before any SQL a person wrote runs, so a query cannot read /etc/shadow with
 * read_text, write with COPY TO, ATTACH a file, install or load an extension, or turn any of it back on.
 */
async function sandboxed(paths: string[]): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await db.connect();
  await conn.run(`SET allowed_paths = [${paths.map(quote).join(', ')}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
  return conn;
}

export async function openEvents(files: string[], view: EventsView = {}): Promise<DuckDBConnection> {
  const conn = await sandboxed(view.writes ? [...files, view.writes] : files);
  if (files.length === 0) {
    await conn.run(`CREATE VIEW events AS SELECT * FROM (SELECT NULL::BIGINT AS seq, NULL::VARCHAR AS eventId, NULL::TIMESTAMPTZ AS eventTime,
      NULL::VARCHAR AS eventName, NULL::VARCHAR AS eventCode, NULL::VARCHAR AS sessionId, NULL::VARCHAR AS "user", NULL::VARCHAR AS sourceIp,
      NULL::INTEGER AS sourcePort, NULL::VARCHAR AS target, NULL::VARCHAR AS login, NULL::VARCHAR AS result, NULL::VARCHAR AS reason,
      NULL::JSON AS details, NULL::VARCHAR AS filename) WHERE false`);
  } else {
    const select = view.filenames ? `* REPLACE (replace(filename, ${quote(view.filenames.from)}, ${quote(view.filenames.to)}) AS filename)` : '*';
    const range = timeWhere(view.since, view.until).replace(/^WHERE /, ' AND ');
    await conn.run(`CREATE VIEW events AS SELECT ${select} FROM read_json([${files.map(quote).join(', ')}],
      format = 'newline_delimited', columns = ${COLUMNS}, filename = true) WHERE eventName IS NOT NULL${range}`);
  }
  return conn;
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export async function query(conn: DuckDBConnection, sql: string): Promise<QueryResult> {
  const reader = await conn.runAndReadAll(sql);
  return { columns: reader.columnNames(), rows: reader.getRowsJS() as unknown[][] };
}

export async function exportEvents(conn: DuckDBConnection, format: 'parquet' | 'csv' | 'jsonl', out: string, where: string): Promise<void> {
  const options = format === 'parquet' ? '(FORMAT parquet)' : format === 'csv' ? '(FORMAT csv, HEADER)' : '(FORMAT json)';
  await conn.run(`COPY (SELECT * EXCLUDE (filename) FROM events ${where} ORDER BY eventTime, seq) TO ${quote(out)} ${options}`);
}

/** A WHERE clause for --since/--until, from validated ISO times. */
export function timeWhere(since?: string, until?: string): string {
  const parts = [since && `eventTime >= ${quote(since)}::TIMESTAMPTZ`, until && `eventTime < ${quote(until)}::TIMESTAMPTZ`].filter(Boolean);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/** Renders a cell for a text table. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x));
  return String(v);
}
