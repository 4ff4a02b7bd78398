// One audit chain per node instead of one for all (DESIGN: nothing may serialise every node on one
// row at token rates). seq becomes a global sequence drawn under the chain's own head lock, so seqs
// rise along each chain and order records across chains by time; prev_seq names the record a row
// links to in its chain (null on rows from before: seq - 1, the one-chain rule). holder and
// lease_until say which process appends to a chain; the row lock still guards every append, so an
// expired or contested lease costs a wait, never a fork.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence if not exists audit_log_seq as bigint minvalue 1`.execute(db);
  await sql`select setval('audit_log_seq', (select max(seq) from audit_head), true) where (select max(seq) from audit_head) > 0`.execute(db);
  await sql`alter table audit_log add column prev_seq bigint`.execute(db);
  // a chain's oldest record, or its first after a seq (purge anchors, verify's reach check)
  await sql`create index audit_log_chain_seq_idx on audit_log (chain, seq)`.execute(db);
  await sql`alter table audit_head add column holder text`.execute(db);
  await sql`alter table audit_head add column lease_until timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from audit_head where chain <> 1`.execute(db);
  await sql`alter table audit_head drop column lease_until`.execute(db);
  await sql`alter table audit_head drop column holder`.execute(db);
  await sql`drop index if exists audit_log_chain_seq_idx`.execute(db);
  await sql`alter table audit_log drop column prev_seq`.execute(db);
  await sql`drop sequence if exists audit_log_seq`.execute(db);
}
