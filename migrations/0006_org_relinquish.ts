// An agent may give up (放弃) an authorisation they hold: a status of its own, so the agent, the
// legal representative and the administrator all see who ended it.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table org_authorizations drop constraint org_authorizations_status_ck`.execute(db);
  await sql`alter table org_authorizations add constraint org_authorizations_status_ck check (status in ('pending', 'active', 'declined', 'revoked', 'relinquished'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // the closest earlier meaning: the agent said no
  await sql`update org_authorizations set status = 'declined' where status = 'relinquished'`.execute(db);
  await sql`alter table org_authorizations drop constraint org_authorizations_status_ck`.execute(db);
  await sql`alter table org_authorizations add constraint org_authorizations_status_ck check (status in ('pending', 'active', 'declined', 'revoked'))`.execute(db);
}
