// Live SQL sources: a department's user table read straight from its PostgreSQL or MySQL/MariaDB
// database. Streaming in both cases (a server-side cursor fetched page by page; mysql2's row stream
// with backpressure), so memory stays bounded whatever the table's size. Every value arrives as the
// server's own text: numbers and dates are never turned into JavaScript numbers, so an ID number
// stored in a BIGINT column keeps every digit and a DOUBLE shows up as the float it is.
//
// Row numbers count result rows from 1. Resume re-runs the query and skips rows already committed,
// so the query must return rows in a stable order: give it an ORDER BY on a unique key.
import mysql from 'mysql2';
import pg from 'pg';
import { ReaderError, type ReaderItem, type RecordReader, type RequiredColumn, type SqlReaderFactory } from './readers/index.ts';
import type { SqlSource } from './profile.ts';
import { redactUrl } from './secrets.ts';

const PAGE = 1000;

function columnIndex(columns: readonly string[], required: readonly RequiredColumn[], source: string): Map<string, number> {
  const index = new Map<string, number>();
  const duplicates = new Set<string>();
  columns.forEach((name, i) => {
    if (index.has(name)) duplicates.add(name);
    else index.set(name, i);
  });
  const missing = required.filter((c) => !index.has(c.column));
  if (missing.length) {
    throw new ReaderError('source.missing_column', { file: source, rowNumber: 0 }, { columns: missing.map((c) => `${c.column} (columns.${c.field})`).join(', ') });
  }
  const ambiguous = required.find((c) => duplicates.has(c.column));
  if (ambiguous) throw new ReaderError('csv.duplicate_column', { file: source, rowNumber: 0, column: ambiguous.column }, { column: ambiguous.column });
  return index;
}

function record(values: readonly unknown[], index: Map<string, number>, rowNumber: number): ReaderItem {
  const fields: Record<string, string> = Object.create(null);
  for (const [name, i] of index) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    fields[name] = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return { ok: true, rowNumber, fields };
}

const failed = (source: string, err: unknown) =>
  err instanceof ReaderError ? err : new ReaderError('source.query_failed', { file: source }, { reason: (err as Error).message }, { cause: err });

async function* readPostgres(src: SqlSource, required: readonly RequiredColumn[], source: string, meta: RecordReader['meta']): AsyncGenerator<ReaderItem> {
  // Every column as text, exactly as PostgreSQL prints it.
  const client = new pg.Client({ connectionString: src.url, connectionTimeoutMillis: 10_000, types: { getTypeParser: () => (v: string) => v } });
  client.on('error', () => {});
  try {
    try {
      await client.connect();
      await client.query('begin transaction isolation level repeatable read read only');
      await client.query(`declare yitong_import no scroll cursor for ${src.query}`);
    } catch (err) {
      throw failed(source, err);
    }
    let index: Map<string, number> | null = null;
    let rowNumber = 0;
    for (;;) {
      let page: pg.QueryArrayResult;
      try {
        page = await client.query({ text: `fetch ${PAGE} from yitong_import`, rowMode: 'array' });
      } catch (err) {
        throw failed(source, err);
      }
      if (!index) {
        meta.columns = page.fields.map((f) => f.name);
        index = columnIndex(meta.columns, required, source);
      }
      for (const values of page.rows) yield record(values, index, ++rowNumber);
      if (page.rows.length < PAGE) break;
    }
  } finally {
    await client.query('rollback').catch(() => {});
    await client.end().catch(() => {});
  }
}

async function* readMysql(src: SqlSource, required: readonly RequiredColumn[], source: string, meta: RecordReader['meta']): AsyncGenerator<ReaderItem> {
  const conn = mysql.createConnection({
    uri: src.url.replace(/^mariadb:/, 'mysql:'),
    connectTimeout: 10_000,
    charset: 'UTF8MB4_UNICODE_CI',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  // Connected (or refused) before the query: a refused connection must not leave the stream waiting.
  const connected = new Promise<void>((resolve, reject) => {
    conn.once('connect', () => resolve());
    conn.once('error', reject);
  });
  conn.on('error', () => {});
  let index: Map<string, number> | null = null;
  try {
    await connected.catch((err: unknown) => {
      throw failed(source, err);
    });
    const query = conn.query({
      sql: src.query,
      rowsAsArray: true,
      // the server's text for every type: no number or date conversion
      typeCast: (field) => field.string('utf8'),
    });
    query.on('fields', (fields: { name: string }[]) => {
      meta.columns = fields.map((f) => f.name);
    });
    const stream = query.stream({ highWaterMark: PAGE });
    let rowNumber = 0;
    try {
      for await (const values of stream as AsyncIterable<unknown[]>) {
        index ??= columnIndex(meta.columns ?? [], required, source);
        yield record(values, index, ++rowNumber);
      }
    } catch (err) {
      throw failed(source, err);
    }
    // An empty result still has to have the columns the profile names.
    if (!index && meta.columns) columnIndex(meta.columns, required, source);
  } finally {
    conn.destroy();
  }
}

/** The reader for a profile's SQL source. */
export const openSqlReader: SqlReaderFactory = (src, options) => {
  const source = redactUrl(src.url);
  const meta: RecordReader['meta'] = {};
  const postgres = /^postgres(ql)?:/.test(src.url);
  return {
    source,
    meta,
    [Symbol.asyncIterator]: () => (postgres ? readPostgres(src, options.requiredColumns, source, meta) : readMysql(src, options.requiredColumns, source, meta)),
  };
};
