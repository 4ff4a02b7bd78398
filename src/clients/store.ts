import { sql, type Kysely, type Selectable, type Insertable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ClientTable } from './tables.ts';

export type ClientRow = Selectable<ClientTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const clientStore = {
  insert(db: Q, row: Insertable<ClientTable>): Promise<ClientRow> {
    return db.insertInto('clients').values(row).returningAll().executeTakeFirstOrThrow();
  },
  byId(db: Q, clientId: string): Promise<ClientRow | undefined> {
    return db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  },
  list(db: Q): Promise<ClientRow[]> {
    return db.selectFrom('clients').selectAll().orderBy('created_at').execute();
  },
  byIds(db: Q, clientIds: string[]): Promise<ClientRow[]> {
    if (!clientIds.length) return Promise.resolve([]);
    return db.selectFrom('clients').selectAll().where('client_id', 'in', clientIds).execute();
  },
  /** Replaces a client's registered metadata (the built-in self-service portal's, when it changes). */
  async updateMetadata(db: Q, clientId: string, name: string, metadata: string): Promise<void> {
    await db.updateTable('clients').set({ name, metadata, updated_at: new Date() }).where('client_id', '=', clientId).execute();
  },
  byIdForUpdate(db: Transaction<Database>, clientId: string): Promise<ClientRow | undefined> {
    return db.selectFrom('clients').selectAll().where('client_id', '=', clientId).forUpdate().executeTakeFirst();
  },
  async setSecret(db: Q, clientId: string, secretEnc: string): Promise<void> {
    await db.updateTable('clients').set({ secret_enc: secretEnc, updated_at: new Date() }).where('client_id', '=', clientId).execute();
  },
  /** One page in client_id order after `after`, optionally of some departments and one status. */
  page(db: Q, filter: { departments?: string[]; status?: string }, after: string | null, limit: number): Promise<ClientRow[]> {
    let q = db.selectFrom('clients').selectAll().orderBy('client_id').limit(limit);
    if (filter.departments) q = filter.departments.length ? q.where('department_code', 'in', filter.departments) : q.where(sql<boolean>`false`);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (after !== null) q = q.where('client_id', '>', after);
    return q.execute();
  },
  /** The ids of the clients of some departments (to scope what a department administrator sees). */
  idsOfDepartments(db: Q, departments: string[]): Promise<string[]> {
    if (!departments.length) return Promise.resolve([]);
    return db.selectFrom('clients').select('client_id').where('department_code', 'in', departments).execute().then((r) => r.map((x) => x.client_id));
  },
  async setStatus(db: Q, clientId: string, status: 'active' | 'disabled'): Promise<boolean> {
    const res = await db.updateTable('clients').set({ status, updated_at: new Date() }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },
};
