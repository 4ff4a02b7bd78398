// Audit retention by partition (issue 13): audit_log becomes a table partitioned by month on `at`,
// so purging after the retention period drops whole partitions instead of deleting rows (no bloat,
// no long delete). Rows outside the monthly partitions land in the default partition (purged by
// delete). New columns: key_id (the MAC key of each record; rows written before are 'legacy', MAC'd
// without it) and chain (room for one chain per node later; the head is keyed by it too).
import { sql, type Kysely } from 'kysely';

const COLUMNS = 'seq, at, actor, event, outcome, client_id, ip, detail, prev_hash, hash';

/** audit_log_pYYYYMM for the month of `d` (UTC), with its bounds. */
export function monthPartition(d: Date): { name: string; from: string; to: string } {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const from = new Date(Date.UTC(y, m, 1));
  const to = new Date(Date.UTC(y, m + 1, 1));
  return { name: `audit_log_p${y}${String(m + 1).padStart(2, '0')}`, from: from.toISOString(), to: to.toISOString() };
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log rename to audit_log_unpartitioned`.execute(db);
  await sql`alter table audit_log_unpartitioned rename constraint audit_log_pkey to audit_log_unpartitioned_pkey`.execute(db);
  await sql`drop index audit_log_at_idx`.execute(db);
  // the partition key must be part of the primary key; seq leads so that verify's `seq > N order by seq` uses it
  await sql`create table audit_log (
      seq bigint not null,
      at timestamptz not null,
      actor text,
      event text not null,
      outcome text not null,
      client_id text,
      ip text,
      detail jsonb not null,
      prev_hash text not null,
      hash text not null,
      key_id text not null,
      chain smallint not null default 1,
      primary key (seq, chain, at)
    ) partition by range (at)`.execute(db);
  await sql`create index audit_log_at_idx on audit_log (at)`.execute(db);
  await sql`create table audit_log_default partition of audit_log default`.execute(db);

  const range = await sql<{ lo: Date | null }>`select min(at) as lo from audit_log_unpartitioned`.execute(db);
  const now = new Date();
  const first = range.rows[0]?.lo ? new Date(range.rows[0].lo) : now;
  // every month that holds rows, up to two months ahead (the retention task keeps creating them)
  for (let d = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1)); d.getTime() < Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 3, 1); d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) {
    const p = monthPartition(d);
    await sql`create table ${sql.id(p.name)} partition of audit_log for values from (${sql.lit(p.from)}) to (${sql.lit(p.to)})`.execute(db);
  }
  await sql.raw(`insert into audit_log (${COLUMNS}, key_id, chain) select ${COLUMNS}, 'legacy', 1 from audit_log_unpartitioned`).execute(db);
  await sql`drop table audit_log_unpartitioned`.execute(db);

  await db.schema.alterTable('audit_head').addColumn('chain', 'smallint', (c) => c.notNull().defaultTo(1)).execute();
  await sql`alter table audit_head drop constraint audit_head_pkey`.execute(db);
  await sql`alter table audit_head add primary key (chain)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_head drop constraint audit_head_pkey`.execute(db);
  await sql`alter table audit_head drop column chain`.execute(db);
  await sql`alter table audit_head add primary key (id)`.execute(db);
  await sql`alter table audit_log rename to audit_log_partitioned`.execute(db);
  await sql`alter table audit_log_partitioned rename constraint audit_log_pkey to audit_log_partitioned_pkey`.execute(db);
  await sql`drop index audit_log_at_idx`.execute(db);
  await sql`create table audit_log (
      seq bigint constraint audit_log_pkey primary key, at timestamptz not null, actor text, event text not null, outcome text not null,
      client_id text, ip text, detail jsonb not null, prev_hash text not null, hash text not null)`.execute(db);
  await sql`create index audit_log_at_idx on audit_log (at)`.execute(db);
  // records MAC'd with their key id no longer verify without it: down is for a fresh database
  await sql.raw(`insert into audit_log (${COLUMNS}) select ${COLUMNS} from audit_log_partitioned where chain = 1`).execute(db);
  await sql`drop table audit_log_partitioned`.execute(db);
}
