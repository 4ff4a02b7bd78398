// One-time codes sent by SMS (registration, SMS login, recovery, phone change, second factor) and
// the counters that limit their sending (per phone, per client address, SMS pumping).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('one_time_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    // keyed hash of what the code answers for (the phone or identifier typed); never the value
    .addColumn('subject', 'text', (c) => c.notNull())
    // who it was sent for, and the blind index of the number it went to; null: sent to nobody
    .addColumn('person_id', 'uuid')
    .addColumn('phone_bidx', 'text')
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addCheckConstraint('one_time_codes_purpose_ck', sql`purpose in ('register', 'login', 'recover', 'phone_change', 'mfa')`)
    .execute();
  await sql`create index one_time_codes_subject_idx on one_time_codes (purpose, subject, created_at desc)`.execute(db);
  await sql`create index one_time_codes_expires_idx on one_time_codes (expires_at)`.execute(db);

  // Fixed-window counters: `count` within a window that ends at `expires_at`.
  await db.schema
    .createTable('code_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index code_counters_expires_idx on code_counters (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('code_counters').ifExists().execute();
  await db.schema.dropTable('one_time_codes').ifExists().execute();
}
