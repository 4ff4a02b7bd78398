// SQL of the logout outbox. Rows are claimed with a lease (FOR UPDATE SKIP LOCKED, then a short
// commit): each is delivered by one node, and by another if that node dies before it finishes.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { LogoutOutboxTable, OutboxStatus } from './tables.ts';

export type OutboxRow = Selectable<LogoutOutboxTable>;
type Q = Kysely<Database> | Transaction<Database>;

export interface NewOutboxRow {
  event_id: string;
  reason: string;
  client_id: string;
  sub: string;
  sid: string | null;
}

export const outboxStore = {
  async insert(db: Q, rows: NewOutboxRow[]): Promise<void> {
    if (rows.length) await db.insertInto('logout_outbox').values(rows).execute();
  },

  /** Claims up to `limit` due rows for `leaseSeconds`. */
  claimDue(db: Q, limit: number, leaseSeconds: number): Promise<OutboxRow[]> {
    return db
      .updateTable('logout_outbox')
      .set({ lease_until: sql`now() + make_interval(secs => ${leaseSeconds})`, attempts: sql`attempts + 1` })
      .where(
        'id',
        'in',
        db
          .selectFrom('logout_outbox')
          .select('id')
          .where('status', '=', 'pending')
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

  async delivered(db: Q, id: number, status: number): Promise<void> {
    await db
      .updateTable('logout_outbox')
      .set({ status: 'delivered', last_status: status, last_error: null, lease_until: null, finished_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  },

  /** A failed attempt: try again at `retryAt`, or give up (final) when it is null. */
  async failed(db: Q, id: number, status: number | null, error: string, retryAt: Date | null): Promise<void> {
    await db
      .updateTable('logout_outbox')
      .set(
        retryAt
          ? { last_status: status, last_error: error, lease_until: null, next_attempt_at: retryAt }
          : { status: 'failed', last_status: status, last_error: error, lease_until: null, finished_at: sql`now()` },
      )
      .where('id', '=', id)
      .execute();
  },

  list(db: Q, opts: { status?: OutboxStatus; limit: number }): Promise<OutboxRow[]> {
    let q = db.selectFrom('logout_outbox').selectAll().orderBy('id', 'desc').limit(opts.limit);
    if (opts.status) q = q.where('status', '=', opts.status);
    return q.execute();
  },

  /** One page, newest first, before id `before`, filtered by status and apps (null: every app). */
  page(db: Q, filter: { status?: OutboxStatus; clientIds: string[] | null }, before: number | null, limit: number): Promise<OutboxRow[]> {
    let q = db.selectFrom('logout_outbox').selectAll().orderBy('id', 'desc').limit(limit);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.clientIds) q = filter.clientIds.length ? q.where('client_id', 'in', filter.clientIds) : q.where('client_id', '=', '\u0000');
    if (before !== null) q = q.where('id', '<', before);
    return q.execute();
  },

  byId(db: Q, id: number): Promise<OutboxRow | undefined> {
    return db.selectFrom('logout_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Due now: a pending row's wait ends, a failed one is pending again (one more try). */
  async retryNow(db: Q, id: number): Promise<boolean> {
    const r = await db
      .updateTable('logout_outbox')
      .set({ status: 'pending', next_attempt_at: sql`now()`, lease_until: null, finished_at: null })
      .where('id', '=', id)
      .where('status', 'in', ['pending', 'failed'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },

  /** Depth and the age of the oldest pending row, for metrics and the stale warning. */
  async pendingStats(db: Q): Promise<{ pending: number; oldestSeconds: number }> {
    const r = await db
      .selectFrom('logout_outbox')
      .select([sql<number>`count(*)::int`.as('pending'), sql<number | null>`extract(epoch from now() - min(created_at))::float8`.as('oldest')])
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return { pending: r.pending, oldestSeconds: r.oldest ?? 0 };
  },
};
