// SQL of the account centre's own tables: session devices, pending e-mail changes, cancellations.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { allColumns } from '../db/columns.ts';
import type { CancellationTable, EmailChangeTable, SessionDeviceTable } from './tables.ts';

type Q = Kysely<Database> | Transaction<Database>;
export type DeviceRow = Selectable<SessionDeviceTable>;
export type EmailChangeRow = Selectable<EmailChangeTable>;
export type CancellationRow = Selectable<CancellationTable>;
const COLUMNS = allColumns<CancellationTable>({ id: 1, person_id: 1, sub: 1, status: 1, requested_at: 1, due_at: 1, ended_at: 1 });

export const deviceStore = {
  /** Records (or refreshes) where a session was last used from. */
  async seen(db: Q, row: { session_uid: string; account_id: string; user_agent: string; network: string | null }): Promise<void> {
    await db
      .insertInto('account_session_devices')
      .values(row)
      .onConflict((oc) => oc.column('session_uid').doUpdateSet({ account_id: row.account_id, user_agent: row.user_agent, network: row.network, last_seen_at: sql`now()` }))
      .execute();
  },
  byAccount(db: Q, accountId: string): Promise<DeviceRow[]> {
    return db.selectFrom('account_session_devices').selectAll().where('account_id', '=', accountId).execute();
  },
  async deleteAccount(db: Q, accountId: string): Promise<void> {
    await db.deleteFrom('account_session_devices').where('account_id', '=', accountId).execute();
  },
  /** Rows of sessions that cannot be alive any more (not used for longer than a session may last). */
  async purgeOlderThan(db: Q, seconds: number): Promise<number> {
    const r = await db
      .deleteFrom('account_session_devices')
      .where('last_seen_at', '<', sql<Date>`now() - make_interval(secs => ${seconds})`)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};

export const emailChangeStore = {
  async put(db: Q, row: { person_id: string; email_enc: string; code_hash: string; ttlSeconds: number }): Promise<void> {
    const values = {
      email_enc: row.email_enc,
      code_hash: row.code_hash,
      attempts: 0,
      sent_at: sql<Date>`now()`,
      expires_at: sql<Date>`now() + make_interval(secs => ${row.ttlSeconds})`,
    };
    await db
      .insertInto('account_email_changes')
      .values({ person_id: row.person_id, ...values })
      .onConflict((oc) => oc.column('person_id').doUpdateSet(values))
      .execute();
  },
  /** The pending change, locked, with whether it is still valid and how long ago the code went out. */
  async forUpdate(db: Q, personId: string): Promise<(EmailChangeRow & { live: boolean; age_seconds: number }) | undefined> {
    const row = await db
      .selectFrom('account_email_changes')
      .selectAll()
      .select([sql<boolean>`expires_at > now()`.as('live'), sql<number>`extract(epoch from now() - sent_at)::float8`.as('age_seconds')])
      .where('person_id', '=', personId)
      .forUpdate()
      .executeTakeFirst();
    return row ? { ...row, age_seconds: Number(row.age_seconds) } : undefined;
  },
  pending(db: Q, personId: string): Promise<EmailChangeRow | undefined> {
    return db.selectFrom('account_email_changes').selectAll().where('person_id', '=', personId).where('expires_at', '>', sql<Date>`now()`).executeTakeFirst();
  },
  async countAttempt(db: Q, personId: string): Promise<void> {
    await db.updateTable('account_email_changes').set({ attempts: sql`attempts + 1` }).where('person_id', '=', personId).execute();
  },
  async remove(db: Q, personId: string): Promise<void> {
    await db.deleteFrom('account_email_changes').where('person_id', '=', personId).execute();
  },
};

export const cancellationStore = {
  insert(db: Q, row: { id: string; person_id: string; sub: string; days: number }): Promise<CancellationRow> {
    return db
      .insertInto('account_cancellations')
      .values({ id: row.id, person_id: row.person_id, sub: row.sub, status: 'pending', due_at: sql<Date>`now() + make_interval(days => ${row.days})` })
      .returningAll()
      .executeTakeFirstOrThrow();
  },
  pendingFor(db: Q, personId: string): Promise<CancellationRow | undefined> {
    return db.selectFrom('account_cancellations').select(COLUMNS).where('person_id', '=', personId).where('status', '=', 'pending').executeTakeFirst();
  },
  /** The person's latest request, whatever its state. */
  latestFor(db: Q, personId: string): Promise<CancellationRow | undefined> {
    return db.selectFrom('account_cancellations').select(COLUMNS).where('person_id', '=', personId).orderBy('requested_at', 'desc').limit(1).executeTakeFirst();
  },
  /** Ends the pending request (withdrawn or erased); false when there was none. */
  async end(db: Q, id: string, status: 'withdrawn' | 'erased'): Promise<boolean> {
    const r = await db.updateTable('account_cancellations').set({ status, ended_at: new Date() }).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  /** Requests past their cooling-off period, locked for this node (others skip them). */
  due(db: Q, limit: number): Promise<CancellationRow[]> {
    return db
      .selectFrom('account_cancellations')
      .selectAll()
      .where('status', '=', 'pending')
      .where('due_at', '<=', sql<Date>`now()`)
      .orderBy('due_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
  },
};
