// Imports started from the admin API or console (issue 12): the number of source rows counted when
// the file was uploaded, so progress reads "rows done of total" while the job runs. Null for jobs
// started by the CLI (the file is read once, by the job itself).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('import_jobs').addColumn('rows_total', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('import_jobs').dropColumn('rows_total').execute();
}
