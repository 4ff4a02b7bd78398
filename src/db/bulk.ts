// Set-based inserts for the stores' bulk methods. A store names its table and its row layout
// (rowLayout); how the rows travel is decided here:
//
// - on a connection opened with openCopyConnection (an import's own PostgreSQL connection), with
//   COPY FROM STDIN inside the caller's transaction: several times faster than INSERT for large
//   batches;
// - otherwise (PGlite, or the application's pool) as multi-row INSERTs under the parameter cap.
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from './schema.ts';

export type Table = keyof Database & string;
export type Rows = readonly (readonly unknown[])[];
export type CopyRows = (table: Table, columns: readonly string[], rows: Rows) => Promise<void>;

/** A transaction for bulk writes: COPY when the connection offers it. */
export interface BulkTx {
  readonly trx: Transaction<Database>;
  readonly copy: CopyRows | null;
}

export function bulkTx(trx: Transaction<Database>, copy: CopyRows | null = null): BulkTx {
  return { trx, copy };
}

/** Inserts rows given as arrays in `columns` order. JSON columns take strings. */
async function insertRows(tx: BulkTx, table: Table, columns: readonly string[], rows: Rows): Promise<void> {
  if (!rows.length) return;
  if (tx.copy) return tx.copy(table, columns, rows);
  await insertValues(tx.trx, table, columns, rows);
}

/**
 * How a store's rows become tuples: its columns, and a function listing a row's values in that
 * order. The values are read by hand-written property reads because a keyed read per cell
 * (row[column]) cost a bulk import some 4 % of its CPU; the list is checked against the columns
 * once, at load, so the two cannot drift apart.
 */
export interface RowLayout<R> {
  columns: readonly string[];
  values: (row: R) => unknown[];
}

export function rowLayout<C extends string, R extends { readonly [K in C]: unknown }>(columns: readonly C[], values: (row: R) => unknown[]): RowLayout<R> {
  const probe = Object.fromEntries(columns.map((c) => [c, c])) as unknown as R;
  const listed = values(probe);
  if (listed.length !== columns.length || listed.some((v, i) => v !== columns[i])) {
    throw new Error(`row values out of step with the columns (${columns.join(', ')}): ${listed.join(', ')}`);
  }
  return { columns, values };
}

/** Inserts rows of a store's layout, in one statement per chunk or one COPY. */
export function insertLaidOut<R>(tx: BulkTx, table: Table, layout: RowLayout<R>, rows: readonly R[]): Promise<void> {
  return insertRows(tx, table, layout.columns, rows.map(layout.values));
}

// PostgreSQL caps a statement at 65535 parameters.
const MAX_PARAMS = 60_000;

async function insertValues(trx: Transaction<Database>, table: Table, columns: readonly string[], rows: Rows): Promise<void> {
  const per = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
  const cols = columns.map(quoteIdent).join(', ');
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      const slots: string[] = [];
      for (const v of row) {
        params.push(v === undefined ? null : v);
        slots.push(`$${params.length}`);
      }
      tuples.push(`(${slots.join(', ')})`);
    }
    await trx.executeQuery(CompiledQuery.raw(`insert into ${quoteIdent(table)} (${cols}) values ${tuples.join(', ')}`, params));
  }
}

export interface CopyConnection {
  /** kysely over this one connection: typed queries and COPY share its transactions */
  db: Kysely<Database>;
  copy: CopyRows;
  close(): Promise<void>;
}

const INT8 = 20;

/**
 * A dedicated PostgreSQL connection for bulk writes. synchronous_commit is off for it: a server
 * crash may lose the last transactions committed, which suits writers that can redo them (an
 * import resumes from its checkpoint).
 */
export async function openCopyConnection(url: string, applicationName: string): Promise<CopyConnection> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    application_name: applicationName,
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  await client.connect();
  // A lost connection surfaces as a failed query; the idle 'error' event must not crash the process.
  client.on('error', () => {});
  await client.query(`set synchronous_commit to off`);
  // Transactions run one at a time on the one connection: a FIFO keeps it so even if a caller overlaps them.
  let tail: Promise<void> = Promise.resolve();
  const pool = {
    async connect() {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const previous = tail;
      tail = previous.then(() => held);
      await previous;
      return { query: client.query.bind(client), release: () => release() };
    },
    end: async () => {},
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
  const copy: CopyRows = async (table, columns, rows) => {
    if (!rows.length) return;
    const stream = client.query(copyFrom(`copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) from stdin`));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    // Written in slices so the socket drains while the text for the rest is built.
    let chunk = '';
    for (const row of rows) {
      chunk += copyLine(row);
      if (chunk.length >= 1 << 16) {
        if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
        chunk = '';
      }
    }
    stream.end(chunk);
    await done;
  };
  return {
    db,
    copy,
    async close() {
      await db.destroy();
      await client.end().catch(() => {});
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One row in COPY's text format: tab-separated, \N for NULL, backslash escapes. */
export function copyLine(row: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i) line += '\t';
    const v = row[i];
    if (v === null || v === undefined) {
      line += '\\N';
      continue;
    }
    const s = typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    line += COPY_SPECIAL.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : s;
  }
  return line + '\n';
}
