// A legacy account's status in its department's old system (RuoYi `status`, `zt`...), mapped by the
// profile's status_map: a disabled link never signs anyone in and its hash never counts.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('legacy_accounts')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .execute();
  await sql`alter table legacy_accounts add constraint legacy_accounts_status_ck check (status in ('active', 'disabled'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('legacy_accounts').dropColumn('status').execute();
}
