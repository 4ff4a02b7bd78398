// SQL of one-time codes and their sending counters. Every decision that several nodes could race on
// is one statement: a counter bump returns the count it made; an attempt is claimed by the UPDATE
// that increments it; a code is used by the UPDATE that sets used_at where it was null.
import { sql, type Kysely, type Selectable, type Transaction, type Insertable } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { CodePurpose, OneTimeCodeTable } from './tables.ts';

export type CodeRow = Selectable<OneTimeCodeTable>;
type Q = Kysely<Database> | Transaction<Database>;

export interface Bump {
  /** the count in the current window, this bump included */
  count: number;
  /** seconds until the window ends */
  ttl: number;
}

export const codeStore = {
  /** A new code, live for `ttlSeconds` on the database clock (the one every node compares with). */
  insert(db: Q, row: Omit<Insertable<OneTimeCodeTable>, 'expires_at'>, ttlSeconds: number): Promise<void> {
    return db
      .insertInto('one_time_codes')
      .values({ ...row, expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})` })
      .execute()
      .then(() => undefined);
  },

  delete(db: Q, id: string): Promise<void> {
    return db.deleteFrom('one_time_codes').where('id', '=', id).execute().then(() => undefined);
  },

  /**
   * Claims one attempt on the newest unused code for (purpose, subject), if it is still live and
   * has attempts left; returns it with the attempt counted, or undefined.
   */
  async claimAttempt(db: Q, purpose: CodePurpose, subject: string, maxAttempts: number): Promise<CodeRow | undefined> {
    const r = await sql<CodeRow>`
      update one_time_codes set attempts = attempts + 1
       where id = (select id from one_time_codes
                    where purpose = ${purpose} and subject = ${subject} and used_at is null
                    order by created_at desc limit 1)
         and attempts < ${maxAttempts} and expires_at > now() and used_at is null
      returning *`.execute(db);
    return r.rows[0];
  },

  /** The newest unused code for (purpose, subject), with whether it is still live (why an attempt was refused). */
  async newest(db: Q, purpose: CodePurpose, subject: string): Promise<{ attempts: number; live: boolean } | undefined> {
    const r = await sql<{ attempts: number; live: boolean }>`
      select attempts, expires_at > now() as live from one_time_codes
       where purpose = ${purpose} and subject = ${subject} and used_at is null
       order by created_at desc limit 1`.execute(db);
    return r.rows[0];
  },

  /** Marks a code used; false when it already was (single use under concurrency). */
  async use(db: Q, id: string): Promise<boolean> {
    const r = await db.updateTable('one_time_codes').set({ used_at: sql`now()` }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Adds one to a fixed-window counter (a new window when the old one has ended). */
  async bump(db: Q, key: string, windowSeconds: number): Promise<Bump> {
    const r = await sql<{ count: number; ttl: number }>`
      insert into code_counters (key, count, expires_at) values (${key}, 1, now() + make_interval(secs => ${windowSeconds}))
      on conflict (key) do update set
        count = case when code_counters.expires_at <= now() then 1 else code_counters.count + 1 end,
        expires_at = case when code_counters.expires_at <= now() then excluded.expires_at else code_counters.expires_at end
      returning count, extract(epoch from (expires_at - now()))::float8 as ttl`.execute(db);
    const row = r.rows[0];
    return { count: Number(row.count), ttl: Math.max(0, Number(row.ttl)) };
  },

  /** Takes one back (a send that failed before reaching anyone should not cost the person a turn). */
  async unbump(db: Q, key: string): Promise<void> {
    await sql`update code_counters set count = count - 1 where key = ${key} and count > 0 and expires_at > now()`.execute(db);
  },

  async purgeExpired(db: Q): Promise<number> {
    const a = await sql`delete from one_time_codes where expires_at < now() - interval '1 day'`.execute(db);
    const b = await sql`delete from code_counters where expires_at < now()`.execute(db);
    return Number(a.numAffectedRows ?? 0) + Number(b.numAffectedRows ?? 0);
  },
};
