import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { DepartmentTable } from './tables.ts';

export type DepartmentRow = Selectable<DepartmentTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const departmentStore = {
  insert(db: Q, code: string, name: string): Promise<DepartmentRow | undefined> {
    return db
      .insertInto('departments')
      .values({ code, name })
      .onConflict((oc) => oc.column('code').doNothing())
      .returningAll()
      .executeTakeFirst();
  },
  /** One page in code order after `after`, optionally only some codes. */
  page(db: Q, only: string[] | null, after: string | null, limit: number): Promise<DepartmentRow[]> {
    let q = db.selectFrom('departments').selectAll().orderBy('code').limit(limit);
    if (only) q = only.length ? q.where('code', 'in', only) : q.where('code', '=', '\u0000');
    if (after !== null) q = q.where('code', '>', after);
    return q.execute();
  },
  byCode(db: Q, code: string): Promise<DepartmentRow | undefined> {
    return db.selectFrom('departments').selectAll().where('code', '=', code).executeTakeFirst();
  },
};
