// Real-name level (实名等级) as account state with its history, and the population-base checks to
// make again later (the check service was unavailable when the person registered).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('real_name_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('level', 'smallint', (c) => c.notNull())
    .addColumn('previous_level', 'smallint')
    // how the level was proven: idv (population base), counter (staff saw the document), upstream
    // (another identity provider asserted it), self (declared at registration)
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('real_name_history_level_ck', sql`level between 1 and 4`)
    .addCheckConstraint('real_name_history_method_ck', sql`method in ('idv', 'counter', 'upstream', 'self')`)
    .execute();
  await sql`create index real_name_history_person_idx on real_name_history (person_id, id)`.execute(db);

  await db.schema
    .createTable('idv_rechecks')
    .addColumn('person_id', 'uuid', (c) => c.primaryKey().references('persons.id'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lease_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index idv_rechecks_due_idx on idv_rechecks (next_attempt_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idv_rechecks').ifExists().execute();
  await db.schema.dropTable('real_name_history').ifExists().execute();
}
