// Administration: who holds which admin role (三员分立: system, security, audit, and department
// administrators scoped to one department). A role is held by a person (signing in to the console)
// or by a confidential client (automation with client_credentials), never both in one row.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('admin_roles')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('person_id', 'uuid', (c) => c.references('persons.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.references('clients.client_id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('department_code', 'text', (c) => c.references('departments.code'))
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('admin_roles_one_holder', sql`num_nonnulls(person_id, client_id) = 1`)
    .addCheckConstraint('admin_roles_role', sql`role in ('system', 'security', 'audit', 'department')`)
    .addCheckConstraint('admin_roles_department', sql`(role = 'department') = (department_code is not null)`)
    .execute();
  await sql`create unique index admin_roles_person_uq on admin_roles (person_id, role, coalesce(department_code, '')) where person_id is not null`.execute(db);
  await sql`create unique index admin_roles_client_uq on admin_roles (client_id, role, coalesce(department_code, '')) where client_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('admin_roles').ifExists().execute();
}
