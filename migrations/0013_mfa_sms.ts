// SMS as a second factor (issue 11): a person's choice to receive codes by SMS at their verified
// phone when a second factor is asked. A row means SMS is on; the phone itself stays on the person
// (a code goes only to a verified phone, so the factor lapses while the phone is not verified).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mfa_sms')
    .addColumn('person_id', 'uuid', (c) => c.primaryKey().references('persons.id').onDelete('cascade'))
    .addColumn('enabled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mfa_sms').ifExists().execute();
}
