// A reviewer may say the queued row is the person of record (`import resolve --swap`): the conflict
// ends as 'swapped'.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table import_conflicts drop constraint import_conflicts_status_ck`.execute(db);
  await sql`alter table import_conflicts add constraint import_conflicts_status_ck check (status in ('pending', 'merged', 'kept_apart', 'swapped'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // the closest earlier meaning: the queued row was linked to the person of record
  await sql`update import_conflicts set status = 'merged' where status = 'swapped'`.execute(db);
  await sql`alter table import_conflicts drop constraint import_conflicts_status_ck`.execute(db);
  await sql`alter table import_conflicts add constraint import_conflicts_status_ck check (status in ('pending', 'merged', 'kept_apart'))`.execute(db);
}
