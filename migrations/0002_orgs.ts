// Legal persons (法人), agent authorisations (经办人授权), and the acting entity of each grant.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('sub', 'text', (c) => c.notNull().unique())
    .addColumn('uscc', 'text', (c) => c.notNull().unique())
    .addColumn('org_code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('legal_rep_person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('orgs_org_code_idx').on('orgs').column('org_code').execute();
  await db.schema.createIndex('orgs_legal_rep_idx').on('orgs').column('legal_rep_person_id').execute();

  await db.schema
    .createTable('org_authorizations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id'))
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('granted_by_person_id', 'uuid', (c) => c.references('persons.id'))
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('org_authorizations_status_ck', sql`status in ('pending', 'active', 'declined', 'revoked')`)
    .addCheckConstraint('org_authorizations_validity_ck', sql`valid_until > valid_from`)
    .execute();
  // At most one live (pending or active) authorisation per org and person.
  await sql`create unique index org_authorizations_live_uq on org_authorizations (org_id, person_id) where status in ('pending', 'active')`.execute(db);
  await db.schema.createIndex('org_authorizations_person_idx').on('org_authorizations').column('person_id').execute();
  // What the expiry sweep looks at: authorisations whose end has not been carried out yet.
  await sql`create index org_authorizations_unended_idx on org_authorizations (valid_until) where ended_at is null`.execute(db);

  await db.schema
    .createTable('org_entity_contexts')
    .addColumn('grant_id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'uuid', (c) => c.notNull().references('persons.id'))
    .addColumn('org_id', 'uuid', (c) => c.references('orgs.id'))
    .addColumn('role', 'text')
    .addColumn('authorization_id', 'uuid', (c) => c.references('org_authorizations.id'))
    .addColumn('sid', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index org_entity_contexts_org_idx on org_entity_contexts (org_id, person_id) where org_id is not null`.execute(db);
  await sql`create index org_entity_contexts_authorization_idx on org_entity_contexts (authorization_id) where authorization_id is not null`.execute(db);
  await db.schema.createIndex('org_entity_contexts_created_idx').on('org_entity_contexts').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['org_entity_contexts', 'org_authorizations', 'orgs']) await db.schema.dropTable(t).ifExists().execute();
}
