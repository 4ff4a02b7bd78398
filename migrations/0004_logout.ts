// Logout that reaches every app: who a session or grant belongs to (so that ending a person's or an
// app's sessions is one indexed statement), and the durable outbox of back-channel logouts.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('oidc_payloads').addColumn('account_id', 'text').execute();
  await db.schema.alterTable('oidc_payloads').addColumn('client_id', 'text').execute();
  await sql`update oidc_payloads set account_id = payload->>'accountId', client_id = payload->>'clientId'
            where model in ('Session', 'Grant')`.execute(db);
  await sql`create index oidc_payloads_account_idx on oidc_payloads (account_id, model) where account_id is not null`.execute(db);
  await sql`create index oidc_payloads_client_idx on oidc_payloads (client_id, model) where client_id is not null`.execute(db);

  await db.schema
    .createTable('logout_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // the governance event that ended the sessions (one event, many rows)
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('sid', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // a node that claimed the row delivers it until then; after, another node may (the first died)
    .addColumn('lease_until', 'timestamptz')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await sql`create index logout_outbox_due_idx on logout_outbox (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index logout_outbox_status_idx on logout_outbox (status, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('logout_outbox').ifExists().execute();
  await db.schema.dropIndex('oidc_payloads_client_idx').ifExists().execute();
  await db.schema.dropIndex('oidc_payloads_account_idx').ifExists().execute();
  await db.schema.alterTable('oidc_payloads').dropColumn('client_id').execute();
  await db.schema.alterTable('oidc_payloads').dropColumn('account_id').execute();
}
