// SQL of administrator roles. Nothing else in src/admin touches the database directly.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { allColumns } from '../db/columns.ts';
import type { AdminRoleTable } from './tables.ts';

export type AdminRoleRow = Selectable<AdminRoleTable>;
type Q = Kysely<Database> | Transaction<Database>;
const COLUMNS = allColumns<AdminRoleTable>({ id: 1, person_id: 1, client_id: 1, role: 1, department_code: 1, granted_by: 1, created_at: 1 });

/** Who holds a role: a person (by internal id) or a client. */
export type Holder = { personId: string } | { clientId: string };

const holderColumn = (h: Holder) => ('personId' in h ? ({ column: 'person_id', value: h.personId } as const) : ({ column: 'client_id', value: h.clientId } as const));

export const adminRoleStore = {
  /** Serialises grants to one holder, so that two concurrent grants cannot break an exclusion. */
  async lockHolder(trx: Transaction<Database>, h: Holder): Promise<void> {
    const { column, value } = holderColumn(h);
    await sql`select pg_advisory_xact_lock(hashtext(${`yitong.admin_roles:${column}:${value}`}))`.execute(trx);
  },
  of(db: Q, h: Holder): Promise<AdminRoleRow[]> {
    const { column, value } = holderColumn(h);
    return db.selectFrom('admin_roles').select(COLUMNS).where(column, '=', value).orderBy('role').orderBy('department_code').execute();
  },
  /** Inserts the grant; false when the holder has it already. */
  async insert(db: Q, row: Omit<AdminRoleRow, 'created_at'>): Promise<boolean> {
    const r = await db
      .insertInto('admin_roles')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    return r !== undefined;
  },
  async remove(db: Q, h: Holder, role: string, department: string | null): Promise<number> {
    const { column, value } = holderColumn(h);
    let q = db.deleteFrom('admin_roles').where(column, '=', value).where('role', '=', role);
    q = department === null ? q.where('department_code', 'is', null) : q.where('department_code', '=', department);
    const r = await q.executeTakeFirst();
    return Number(r.numDeletedRows);
  },
  byId(db: Q, id: string): Promise<AdminRoleRow | undefined> {
    return db.selectFrom('admin_roles').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  },
  async removeById(db: Q, id: string): Promise<number> {
    const r = await db.deleteFrom('admin_roles').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
  list(db: Q): Promise<AdminRoleRow[]> {
    return db.selectFrom('admin_roles').select(COLUMNS).orderBy('created_at').orderBy('id').execute();
  },
};
