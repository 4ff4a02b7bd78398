import type { Kysely, Selectable, Insertable, Transaction } from 'kysely';
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
  async setStatus(db: Q, clientId: string, status: 'active' | 'disabled'): Promise<boolean> {
    const res = await db.updateTable('clients').set({ status, updated_at: new Date() }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },
};
