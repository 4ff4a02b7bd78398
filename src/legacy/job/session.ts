// Where an import writes its batches. Each batch is one transaction, seen as a kysely Transaction
// (so the audit log and typed queries work inside it) plus `insert` for bulk rows.
//
// - PostgreSQL: a dedicated connection of the import's own. Bulk rows go in with COPY FROM STDIN on
//   that connection, inside the batch's transaction. The connection also holds the per-department
//   import lock (a session advisory lock): it is released when the process dies, so a killed job
//   can be resumed at once, and two imports of one department never interleave.
//   synchronous_commit is off for this connection: a PostgreSQL crash may lose the last batches
//   committed, but each batch and its checkpoint commit together, so resume redoes exactly those.
// - PGlite: the application's single connection, taken per transaction; bulk rows go in as
//   multi-row INSERTs. One process owns the data directory, so no lock is needed.
import { Kysely, PostgresDialect, CompiledQuery, type Transaction } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AppContext } from '../../context.ts';
import type { Database } from '../../db/schema.ts';

export interface BatchTx {
  trx: Transaction<Database>;
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Bulk insert of rows given as arrays in `columns` order. JSON columns take strings. */
  insert(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
}

export interface ImportSession {
  readonly kind: 'postgres' | 'pglite';
  transaction<T>(fn: (tx: BatchTx) => Promise<T>): Promise<T>;
  /** Takes the department's import lock for the life of the session; false when another holds it. */
  lockDepartment(code: string): Promise<boolean>;
  close(): Promise<void>;
}

const INT8 = 20;

function wrap(trx: Transaction<Database>, insert: BatchTx['insert']): BatchTx {
  return {
    trx,
    async query<R>(text: string, params: readonly unknown[] = []) {
      const r = await trx.executeQuery<R>(CompiledQuery.raw(text, [...params]));
      return r.rows as R[];
    },
    insert,
  };
}

export async function openImportSession(app: AppContext): Promise<ImportSession> {
  return app.config.databaseUrl ? openPostgresSession(app.config.databaseUrl) : pgliteSession(app);
}

// PostgreSQL caps a statement at 65535 parameters.
const MAX_PARAMS = 60_000;

/** Multi-row INSERT, chunked under the parameter cap. */
async function insertValues(trx: Transaction<Database>, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (!rows.length) return;
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

function pgliteSession(app: AppContext): ImportSession {
  return {
    kind: 'pglite',
    transaction: (fn) =>
      app.db.transaction().execute((trx) => fn(wrap(trx, (table, columns, rows) => insertValues(trx, table, columns, rows)))),
    lockDepartment: async () => true,
    close: async () => {},
  };
}

async function openPostgresSession(url: string): Promise<ImportSession> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
  });
  await client.connect();
  // A lost connection surfaces as a failed query; the idle 'error' event must not crash the process.
  client.on('error', () => {});
  await client.query(`set synchronous_commit to off; set application_name to 'yitong-import'`);
  // kysely over this one connection, so a batch's typed queries, audit appends and COPY share its
  // transaction. Batches run one at a time: a FIFO keeps it so even if a caller overlaps them.
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
  const copy = async (table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]) => {
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
    kind: 'postgres',
    transaction: (fn) => db.transaction().execute((trx) => fn(wrap(trx, copy))),
    async lockDepartment(code) {
      const r = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock(hashtext('yitong.import'), hashtext($1)) as ok`, [code]);
      return r.rows[0].ok;
    },
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
    const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    line += COPY_SPECIAL.test(s) ? s.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : s;
  }
  return line + '\n';
}
