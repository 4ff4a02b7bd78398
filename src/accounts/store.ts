// SQL for persons. Personal fields arrive and leave sealed; the service seals and opens them.
import type { Kysely, Selectable, Insertable, Updateable, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { PersonTable } from './tables.ts';

export type PersonRow = Selectable<PersonTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const personStore = {
  insert(db: Q, row: Insertable<PersonTable>): Promise<PersonRow> {
    return db.insertInto('persons').values(row).returningAll().executeTakeFirstOrThrow();
  },
  bySub(db: Q, sub: string): Promise<PersonRow | undefined> {
    return db.selectFrom('persons').selectAll().where('sub', '=', sub).executeTakeFirst();
  },
  /** persons whose verified phone has this blind index, up to two (exactly one is an answer) */
  byVerifiedPhone(db: Q, phoneBidx: string): Promise<PersonRow[]> {
    return db.selectFrom('persons').selectAll().where('phone_bidx', '=', phoneBidx).where('phone_verified', '=', true).limit(2).execute();
  },
  byId(db: Q, id: string): Promise<PersonRow | undefined> {
    return db.selectFrom('persons').selectAll().where('id', '=', id).executeTakeFirst();
  },
  byIdNumberIndex(db: Q, idType: string, bidx: string): Promise<PersonRow | undefined> {
    return db.selectFrom('persons').selectAll().where('id_type', '=', idType).where('id_number_bidx', '=', bidx).executeTakeFirst();
  },
  /** up to two rows, so the caller can tell "exactly one" from "ambiguous" */
  byContactIndex(db: Q, column: 'phone_bidx' | 'email_bidx', bidx: string): Promise<PersonRow[]> {
    return db.selectFrom('persons').selectAll().where(column, '=', bidx).limit(2).execute();
  },
  /** every person (up to `limit`) whose phone or e-mail has this blind index: an administrator's exact search */
  listByContactIndex(db: Q, column: 'phone_bidx' | 'email_bidx', bidx: string, limit: number): Promise<PersonRow[]> {
    return db.selectFrom('persons').selectAll().where(column, '=', bidx).orderBy('created_at').orderBy('id').limit(limit).execute();
  },
  update(db: Q, id: string, patch: Updateable<PersonTable>): Promise<void> {
    return db
      .updateTable('persons')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .execute()
      .then(() => undefined);
  },
};
