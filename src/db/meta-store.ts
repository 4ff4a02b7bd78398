import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export const metaStore = {
  async get(db: Kysely<Database>, key: string): Promise<string | undefined> {
    return (await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst())?.value;
  },
  async set(db: Kysely<Database>, key: string, value: string): Promise<void> {
    await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  },
  async delete(db: Kysely<Database>, key: string): Promise<void> {
    await db.deleteFrom('meta').where('key', '=', key).execute();
  },
  /** inserts unless present; returns the stored value either way */
  async putIfAbsent(db: Kysely<Database>, key: string, value: string): Promise<string> {
    await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doNothing()).execute();
    return (await metaStore.get(db, key))!;
  },
};
