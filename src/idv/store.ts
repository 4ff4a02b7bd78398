// SQL of population-base checks to make again. Due rows are claimed with a lease (FOR UPDATE SKIP
// LOCKED), so each is checked by one node at a time, and by another when that node dies.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { IdvRecheckTable } from './tables.ts';

export type RecheckRow = Selectable<IdvRecheckTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const recheckStore = {
  async schedule(db: Q, personId: string, delaySeconds: number): Promise<void> {
    await db
      .insertInto('idv_rechecks')
      .values({ person_id: personId, next_attempt_at: sql<Date>`now() + make_interval(secs => ${delaySeconds})` })
      .onConflict((oc) => oc.column('person_id').doNothing())
      .execute();
  },
  claimDue(db: Q, limit: number, leaseSeconds: number): Promise<RecheckRow[]> {
    return db
      .updateTable('idv_rechecks')
      .set({ lease_until: sql`now() + make_interval(secs => ${leaseSeconds})`, attempts: sql`attempts + 1` })
      .where(
        'person_id',
        'in',
        db
          .selectFrom('idv_rechecks')
          .select('person_id')
          .where('next_attempt_at', '<=', sql<Date>`now()`)
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
          .orderBy('next_attempt_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
  },
  async later(db: Q, personId: string, delaySeconds: number): Promise<void> {
    await db
      .updateTable('idv_rechecks')
      .set({ lease_until: null, next_attempt_at: sql`now() + make_interval(secs => ${delaySeconds})` })
      .where('person_id', '=', personId)
      .execute();
  },
  async done(db: Q, personId: string): Promise<void> {
    await db.deleteFrom('idv_rechecks').where('person_id', '=', personId).execute();
  },
  async pending(db: Q): Promise<number> {
    const r = await db.selectFrom('idv_rechecks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  },
};
