// The account centre: where each sign-in session was made from (device, masked network), pending
// e-mail changes with their code, cancellation requests (注销) with their cooling-off period, and
// an index for a person's own security events in the audit log.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('account_session_devices')
    .addColumn('session_uid', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('network', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('account_session_devices_account_idx').on('account_session_devices').column('account_id').execute();
  await db.schema.createIndex('account_session_devices_seen_idx').on('account_session_devices').column('last_seen_at').execute();

  await db.schema
    .createTable('account_email_changes')
    .addColumn('person_id', 'uuid', (c) => c.primaryKey().references('persons.id').onDelete('cascade'))
    .addColumn('email_enc', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('account_cancellations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('sub', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('due_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .execute();
  await sql`create unique index account_cancellations_pending_uq on account_cancellations (person_id) where status = 'pending'`.execute(db);
  await sql`create index account_cancellations_due_idx on account_cancellations (due_at) where status = 'pending'`.execute(db);

  // "my recent security events": a person's records, newest first
  await sql`create index audit_log_actor_idx on audit_log (actor, seq) where actor is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists audit_log_actor_idx`.execute(db);
  for (const t of ['account_cancellations', 'account_email_changes', 'account_session_devices']) await db.schema.dropTable(t).ifExists().execute();
}
