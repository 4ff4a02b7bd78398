// Legacy migration: import jobs with their checkpoints, the legacy accounts they link to persons,
// and the rows they rejected or held for review. Written against Kysely<any> and frozen in time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('department_code', 'text', (c) => c.notNull().references('departments.code'))
    // a file path, or the SQL source's URL without its password
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_kind', 'text', (c) => c.notNull())
    // size, mtime and digests of the file's head and tail: resume refuses a changed file
    .addColumn('source_fingerprint', 'jsonb')
    // the full SQL source URL (it may hold a password), sealed
    .addColumn('source_secret_enc', 'text')
    // the validated profile (SQL URL password removed)
    .addColumn('profile', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // source rows (numbered from 1) fully handled and committed: resume starts after it
    .addColumn('checkpoint', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('counters', 'jsonb', (c) => c.notNull())
    .addColumn('error', 'jsonb')
    .addColumn('report', 'jsonb')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // advanced with every committed batch: how long ago a running job last made progress
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addCheckConstraint('import_jobs_status_ck', sql`status in ('running', 'done', 'failed', 'dry_run')`)
    .execute();
  await db.schema.createIndex('import_jobs_department_idx').on('import_jobs').columns(['department_code', 'started_at']).execute();

  // One row per legacy user: (department, legacy user id) -> person. The foreign password hash is
  // kept with its scheme and parameters, sealed, until the first successful login retires it.
  await db.schema
    .createTable('legacy_accounts')
    .addColumn('department_code', 'text', (c) => c.notNull().references('departments.code'))
    .addColumn('legacy_uid', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    // HMAC of DEPARTMENT/loginname, normalised (NFKC, trimmed, lower case): login names are often
    // names, phone or ID numbers, so they are personal data and stored only as a blind index
    .addColumn('login_name_bidx', 'text')
    // scheme name in clear (for operations: how many md5 hashes are left), the rest sealed
    .addColumn('password_scheme', 'text')
    // sealed JSON {scheme, hash, salt, params, loginName}, AAD bound to department and legacy uid
    .addColumn('password_enc', 'text')
    .addColumn('password_retired_at', 'timestamptz')
    // an ID number that failed validation, kept sealed for review (the person has none)
    .addColumn('id_number_unverified_enc', 'text')
    .addColumn('uscc', 'text')
    .addColumn('org_name', 'text')
    .addColumn('org_id', 'uuid')
    // provenance: the job and source row that created the link
    .addColumn('job_id', 'uuid', (c) => c.notNull())
    .addColumn('row_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('legacy_accounts_pk', ['department_code', 'legacy_uid'])
    .execute();
  await db.schema.createIndex('legacy_accounts_person_idx').on('legacy_accounts').column('person_id').execute();
  await sql`create index legacy_accounts_login_idx on legacy_accounts (login_name_bidx) where login_name_bidx is not null`.execute(db);

  await db.schema
    .createTable('import_rejections')
    .addColumn('job_id', 'uuid', (c) => c.notNull().references('import_jobs.id'))
    .addColumn('row_number', 'integer', (c) => c.notNull())
    .addColumn('line', 'integer')
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason_zh', 'text', (c) => c.notNull())
    .addColumn('reason_en', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text')
    // masked values, enough to find and review the row (never a full ID or phone number)
    .addColumn('masked_values', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_rejections_pk', ['job_id', 'row_number'])
    .execute();

  await db.schema
    .createTable('import_conflicts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('job_id', 'uuid', (c) => c.notNull().references('import_jobs.id'))
    .addColumn('row_number', 'integer', (c) => c.notNull())
    .addColumn('department_code', 'text', (c) => c.notNull())
    .addColumn('legacy_uid', 'text', (c) => c.notNull())
    // the person already holding the row's ID number
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason_zh', 'text', (c) => c.notNull())
    .addColumn('reason_en', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text')
    .addColumn('masked_values', 'jsonb', (c) => c.notNull())
    // the normalised row, sealed, so that a decision can be carried out after the file is gone
    .addColumn('row_enc', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('resolved_person_id', 'uuid', (c) => c.references('persons.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('import_conflicts_status_ck', sql`status in ('pending', 'merged', 'kept_apart')`)
    .addUniqueConstraint('import_conflicts_row_uq', ['job_id', 'row_number'])
    .execute();
  // A legacy account waits in review at most once.
  await sql`create unique index import_conflicts_pending_uq on import_conflicts (department_code, legacy_uid) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['import_conflicts', 'import_rejections', 'legacy_accounts', 'import_jobs']) await db.schema.dropTable(t).ifExists().execute();
}
