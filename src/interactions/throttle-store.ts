// SQL for login throttling. Every read-modify-write happens inside one statement on the database
// clock, so parallel failures on any number of nodes count exactly and agree on time.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface FailureInput {
  key: string;
  /** failures within the window that set a lock; 0 = never lock this key */
  lockAfter: number;
}

export interface FailureResult {
  key: string;
  failures: number;
  /** this statement set the lock */
  lockedNow: boolean;
}

export interface KeyState {
  key: string;
  /** failures in the current window (0 when the window or the last lock has expired) */
  failures: number;
  /** whole seconds until an active lock ends, 0 when not locked */
  retryAfterSeconds: number;
}

const NEVER = 2_147_483_647;

/**
 * Counts one failure for each key, atomically (INSERT ... ON CONFLICT DO UPDATE with the counting
 * in SQL). A key starts a fresh window (count 1) when its window has passed or when its last lock
 * has expired; an active lock is never extended or shortened; reaching lockAfter sets a lock of
 * lockSeconds. Keys are written in the order given: pass them in a fixed order (account, then ip)
 * so that concurrent statements lock rows in the same order.
 * "Locked now" is the failure that reached the threshold: counts rise by one, so exactly one
 * statement sees failures = lock_after (comparing timestamps would not do: two statements on a
 * coarse clock can share now()).
 */
export async function recordFailures(
  db: Kysely<Database>,
  entries: FailureInput[],
  windowSeconds: number,
  lockSeconds: number,
): Promise<FailureResult[]> {
  if (entries.length === 0) return [];
  const rows = sql.join(entries.map((e) => sql`(${e.key}::text, ${e.lockAfter > 0 ? e.lockAfter : NEVER}::int)`));
  const window = sql`(${windowSeconds}::int * interval '1 second')`;
  const lock = sql`(${lockSeconds}::int * interval '1 second')`;
  // t.* is the existing row; a fresh window when it lapsed or the last lock ran out
  const fresh = sql`(t.window_start <= now() - ${window} or (t.locked_until is not null and t.locked_until <= now()))`;
  const next = sql`(case when ${fresh} then 1 else t.failures + 1 end)`;
  const result = await sql<{ key: string; failures: number; locked_now: boolean }>`
    with input (key, lock_after) as (values ${rows})
    insert into login_throttle as t (key, failures, window_start, locked_until)
    select key, 1, now(), case when 1 >= lock_after then now() + ${lock} end from input
    on conflict (key) do update set
      failures = ${next},
      window_start = case when ${fresh} then now() else t.window_start end,
      locked_until = case
        when t.locked_until > now() then t.locked_until
        when ${next} >= (select lock_after from input where input.key = t.key) then now() + ${lock}
        else null
      end
    returning t.key, t.failures,
      coalesce(t.locked_until > now() and t.failures = (select lock_after from input where input.key = t.key), false) as locked_now`.execute(db);
  return result.rows.map((r) => ({ key: r.key, failures: Number(r.failures), lockedNow: Boolean(r.locked_now) }));
}

export async function readStates(db: Kysely<Database>, keys: string[], windowSeconds: number): Promise<KeyState[]> {
  if (keys.length === 0) return [];
  const window = sql`(${windowSeconds}::int * interval '1 second')`;
  const result = await sql<{ key: string; failures: number; retry_after: number }>`
    select key,
      case when window_start <= now() - ${window} or (locked_until is not null and locked_until <= now()) then 0
           else failures end as failures,
      case when locked_until > now() then ceil(extract(epoch from (locked_until - now())))::int else 0 end as retry_after
    from login_throttle
    where key in (${sql.join(keys)})`.execute(db);
  return result.rows.map((r) => ({ key: r.key, failures: Number(r.failures), retryAfterSeconds: Number(r.retry_after) }));
}

/** Clears keys' counters, unless locked right now (a lock always runs its course). */
export async function clearUnlessLocked(db: Kysely<Database>, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db
    .deleteFrom('login_throttle')
    .where('key', 'in', keys)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', sql<Date>`now()`)]))
    .execute();
}

/** Deletes keys' counters and locks (an administrator's unlock); true when a lock was in force. */
export async function clearKeys(db: Kysely<Database>, keys: string[]): Promise<boolean> {
  if (keys.length === 0) return false;
  const rows = await db
    .deleteFrom('login_throttle')
    .where('key', 'in', keys)
    .returning(sql<boolean>`coalesce(locked_until > now(), false)`.as('was_locked'))
    .execute();
  return rows.some((r) => Boolean(r.was_locked));
}

/** Deletes rows that no longer mean anything: window lapsed and not locked, or lock expired. */
export async function purgeExpired(db: Kysely<Database>, windowSeconds: number): Promise<number> {
  const r = await db
    .deleteFrom('login_throttle')
    .where(sql<boolean>`coalesce(locked_until <= now(), window_start <= now() - (${windowSeconds}::int * interval '1 second'))`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
