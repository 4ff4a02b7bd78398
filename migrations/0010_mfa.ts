// Second factors and assurance levels (issue 11): TOTP secrets (sealed) with the last accepted time
// step, recovery code hashes, passkeys (WebAuthn credentials), single-use WebAuthn challenges, and
// the levels each sign-in session has reached and when.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mfa_totp')
    .addColumn('person_id', 'uuid', (c) => c.primaryKey().references('persons.id').onDelete('cascade'))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    // null while the enrolment waits for its first code
    .addColumn('confirmed_at', 'timestamptz')
    // the newest time step accepted: a code of this step or an earlier one is refused (replay)
    .addColumn('last_step', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('mfa_recovery_codes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('mfa_recovery_codes_person_code_uq', ['person_id', 'code_hash'])
    .execute();

  await db.schema
    .createTable('mfa_passkeys')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addColumn('backed_up', 'boolean', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('aaguid', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('mfa_passkeys_person_idx').on('mfa_passkeys').column('person_id').execute();

  await db.schema
    .createTable('mfa_challenges')
    .addColumn('challenge', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    // what the challenge was issued for: an interaction uid or a self-service session uid
    .addColumn('binding', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_challenges_expires_idx').on('mfa_challenges').column('expires_at').execute();

  await db.schema
    .createTable('mfa_session_levels')
    .addColumn('session_uid', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    // {"urn:yitong:acr:pwd": {"at": epoch seconds, "amr": ["pwd"]}, ...}
    .addColumn('levels', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('mfa_session_levels_account_idx').on('mfa_session_levels').column('account_id').execute();
  await db.schema.createIndex('mfa_session_levels_updated_idx').on('mfa_session_levels').column('updated_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['mfa_session_levels', 'mfa_challenges', 'mfa_passkeys', 'mfa_recovery_codes', 'mfa_totp']) await db.schema.dropTable(t).ifExists().execute();
}
