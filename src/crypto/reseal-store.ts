// SQL of the reseal: walk a table of the registry in key order, and rewrite one row's sealed and
// blind-index columns unless another node changed them since they were read.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { SealedTable } from './sealed-columns.ts';

type Q = Kysely<Database> | Transaction<Database>;
type Row = Record<string, unknown>;

const refs = (cols: string[]) => sql.join(cols.map((c) => sql.ref(c)));
/** what resealing a row reads: its key, what the associated data needs, sealed and index columns */
const columns = (t: SealedTable) => [...new Set([...t.key, ...(t.extra ?? []), ...t.sealed.map((c) => c.column), ...(t.indexes ?? []).map((i) => i.column)])];

export const resealStore = {
  /**
   * Runs `work` while this session holds PostgreSQL's advisory lock for reseals (held on one pooled
   * connection; `work` uses the others). Null when another process holds it. A killed holder's
   * lock goes with its connection, so a resume after kill -9 is not blocked.
   */
  async exclusive<T>(db: Kysely<Database>, work: () => Promise<T>): Promise<{ value: T } | null> {
    return db.connection().execute(async (conn) => {
      const r = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext('yitong.crypto.reseal')) as locked`.execute(conn);
      if (!r.rows[0].locked) return null;
      try {
        return { value: await work() };
      } finally {
        await sql`select pg_advisory_unlock(hashtext('yitong.crypto.reseal'))`.execute(conn);
      }
    });
  },

  async batch(db: Q, t: SealedTable, after: unknown[] | null, limit: number): Promise<Row[]> {
    const where = after ? sql`where (${refs(t.key)}) > (${sql.join(after.map((v) => sql`${v}`))})` : sql``;
    const r = await sql<Row>`select ${refs(columns(t))} from ${sql.table(t.table)} ${where} order by ${refs(t.key)} limit ${limit}`.execute(db);
    return r.rows;
  },

  /** one row by its key, the columns `batch` reads (null: deleted) */
  async row(db: Q, t: SealedTable, key: unknown[]): Promise<Row | null> {
    const r = await sql<Row>`select ${refs(columns(t))} from ${sql.table(t.table)} where (${refs(t.key)}) = (${sql.join(key.map((v) => sql`${v}`))})`.execute(db);
    return r.rows[0] ?? null;
  },

  /** false when a sealed column no longer holds what was read (a node rewrote it meanwhile) */
  async update(db: Q, t: SealedTable, row: Row, set: Row): Promise<boolean> {
    const sets = Object.entries(set).map(([c, v]) => sql`${sql.ref(c)} = ${v}`);
    const conds = [
      ...t.key.map((k) => sql`${sql.ref(k)} = ${row[k]}`),
      ...t.sealed.map((c) => sql`${sql.ref(c.column)} is not distinct from ${row[c.column]}`),
    ];
    const r = await sql`update ${sql.table(t.table)} set ${sql.join(sets)} where ${sql.join(conds, sql` and `)}`.execute(db);
    return Number(r.numAffectedRows ?? 0) > 0;
  },

  /** sealed values per form ('v1.' AES-GCM, 'g1.' SM4+HMAC-SM3) in one column */
  async countForms(db: Q, table: string, column: string): Promise<{ v1: number; g1: number }> {
    const c = sql.ref(column);
    const r = await sql<{ v1: string; g1: string }>`select count(*) filter (where ${c} like 'v1.%') as v1, count(*) filter (where ${c} like 'g1.%') as g1 from ${sql.table(table)}`.execute(db);
    return { v1: Number(r.rows[0].v1), g1: Number(r.rows[0].g1) };
  },

  /** columns of type text in the schema (the registry test looks for sealed values outside the registry) */
  async textColumns(db: Q): Promise<{ table: string; column: string }[]> {
    const r = await sql<{ table_name: string; column_name: string }>`select table_name, column_name from information_schema.columns
      where table_schema = current_schema() and data_type in ('text', 'character varying')`.execute(db);
    return r.rows.map((x) => ({ table: x.table_name, column: x.column_name }));
  },

  async hasSealedValue(db: Q, table: string, column: string): Promise<boolean> {
    const c = sql.ref(column);
    const r = await sql`select 1 from ${sql.table(table)} where ${c} like 'v1.%' or ${c} like 'g1.%' limit 1`.execute(db);
    return r.rows.length > 0;
  },
};
