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
  byCode(db: Q, code: string): Promise<DepartmentRow | undefined> {
    return db.selectFrom('departments').selectAll().where('code', '=', code).executeTakeFirst();
  },
};
