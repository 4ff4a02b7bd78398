// SQL of real-name level history. The level itself is a column of persons (accounts' store).
import { sql, type Kysely, type Selectable, type Transaction, type Insertable } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { RealNameHistoryTable } from './tables.ts';

export type LevelHistoryRow = Selectable<RealNameHistoryTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const realNameStore = {
  insert(db: Q, row: Insertable<RealNameHistoryTable>): Promise<void> {
    return db.insertInto('real_name_history').values(row).execute().then(() => undefined);
  },
  history(db: Q, personId: string): Promise<LevelHistoryRow[]> {
    return db.selectFrom('real_name_history').selectAll().where('person_id', '=', personId).orderBy('id').execute();
  },
  /** Serialises level changes of one person until the transaction ends. */
  async lockPerson(trx: Transaction<Database>, personId: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${'real_name:' + personId}, 0))`.execute(trx);
  },
};
