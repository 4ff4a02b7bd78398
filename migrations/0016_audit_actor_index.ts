// 0015 rebuilt audit_log as a partitioned table and lost 0005's index on (actor, seq): a person's
// own activity page and the admin API's ?actor= filter read it. Also records how far the chain ran
// under the key-id-less 'legacy' MAC key: a record beyond that seq claiming it is not genuine (only
// code from before 0015 wrote such records), which matters once that key is retired by a rotation.
import { sql, type Kysely } from 'kysely';

export const LEGACY_THROUGH_KEY = 'audit_legacy_through';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists audit_log_actor_idx on audit_log (actor, seq) where actor is not null`.execute(db);
  await sql`insert into meta (key, value)
    select ${LEGACY_THROUGH_KEY}, coalesce(max(seq), 0)::text from audit_log where key_id = 'legacy'
    on conflict (key) do nothing`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from meta where key = ${LEGACY_THROUGH_KEY}`.execute(db);
  await sql`drop index if exists audit_log_actor_idx`.execute(db);
}
