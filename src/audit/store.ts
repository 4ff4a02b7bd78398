// SQL for the audit chain. Every function takes the executor it runs on: the Kysely instance or a
// transaction (the head lock only means something inside a transaction).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { AuditLogTable } from './tables.ts';

export type AuditRow = Selectable<AuditLogTable>;

export interface LockedHead {
  seq: number;
  hash: string;
  /** database clock, millisecond precision (what a JS Date and the MAC input can hold exactly) */
  now: Date;
}

/** Locks the single head row until the surrounding transaction ends: appends are serialised here. */
export async function lockHead(db: Kysely<Database>): Promise<LockedHead> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash', sql<Date>`date_trunc('milliseconds', clock_timestamp())`.as('now')])
    .where('chain', '=', 1)
    .forUpdate()
    .executeTakeFirst();
  if (!head) throw new Error('audit_head row missing: the database was not migrated');
  return { seq: Number(head.seq), hash: head.hash, now: new Date(head.now) };
}

/** Whether a record under one of these MAC keys was appended after `seq`. */
export async function appendedUnderSince(db: Kysely<Database>, keyIds: string[], seq: number): Promise<boolean> {
  if (!keyIds.length) return false;
  const r = await db.selectFrom('audit_log').select('seq').where('seq', '>', seq).where('key_id', 'in', keyIds).limit(1).execute();
  return r.length > 0;
}

/** through_seq of the newest successful purge record (not verified here: `audit verify` does that). */
export async function lastPurgeThrough(db: Kysely<Database>): Promise<number | null> {
  const r = await sql<{ through: string | null }>`select detail->>'through_seq' as through from audit_log
    where event = 'audit.purge' and outcome = 'success' order by seq desc limit 1`.execute(db);
  const n = Number(r.rows[0]?.through ?? NaN);
  return Number.isSafeInteger(n) ? n : null;
}

export async function readHead(db: Kysely<Database>): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('chain', '=', 1).executeTakeFirst();
  if (!head) throw new Error('audit_head row missing: the database was not migrated');
  return { seq: Number(head.seq), hash: head.hash };
}

export async function insertRecords(
  db: Kysely<Database>,
  rows: (Omit<AuditRow, 'detail' | 'chain'> & { detail: Record<string, unknown> })[],
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values(rows.map((row) => ({ ...row, detail: JSON.stringify(row.detail) })))
    .execute();
}

export async function updateHead(db: Kysely<Database>, seq: number, hash: string): Promise<void> {
  await db.updateTable('audit_head').set({ seq, hash }).where('chain', '=', 1).execute();
}

/** One page of the chain in seq order (keyset pagination: constant cost per page). */
export async function pageAfter(db: Kysely<Database>, afterSeq: number, limit: number): Promise<AuditRow[]> {
  const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
  return rows.map(normaliseRow);
}

export async function listRecords(
  db: Kysely<Database>,
  opts: { since?: Date; until?: Date; event?: string; events?: readonly string[]; outcome?: string; actor?: string; target?: string; beforeSeq?: number; limit: number },
): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (opts.outcome !== undefined) q = q.where('outcome', '=', opts.outcome);
  if (opts.actor !== undefined) q = q.where('actor', '=', opts.actor);
  // what a record is about: a person (sub), an org (USCC), a client, or an admin call's target
  if (opts.target !== undefined) {
    const t = opts.target;
    q = q.where(sql<boolean>`(detail->>'sub' = ${t} or detail->>'uscc' = ${t} or detail->'target'->>'id' = ${t} or client_id = ${t})`);
  }
  if (opts.events) q = opts.events.length ? q.where('event', 'in', [...opts.events]) : q.where(sql<boolean>`false`);
  if (opts.since) q = q.where('at', '>=', opts.since);
  if (opts.until) q = q.where('at', '<', opts.until);
  if (opts.event) q = q.where('event', '=', opts.event);
  if (opts.beforeSeq !== undefined) q = q.where('seq', '<', opts.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit).execute();
  return rows.map(normaliseRow);
}

/** The lowest seq whose record is at or after `at`, or null when every record is older. */
export async function firstSeqAtOrAfter(db: Kysely<Database>, at: Date): Promise<number | null> {
  const r = await db.selectFrom('audit_log').select((eb) => eb.fn.min('seq').as('seq')).where('at', '>=', at).executeTakeFirst();
  return r?.seq == null ? null : Number(r.seq);
}

export async function firstSeq(db: Kysely<Database>): Promise<number | null> {
  const r = await db.selectFrom('audit_log').select((eb) => eb.fn.min('seq').as('seq')).executeTakeFirst();
  return r?.seq == null ? null : Number(r.seq);
}

export async function hashAt(db: Kysely<Database>, seq: number): Promise<string | null> {
  const r = await db.selectFrom('audit_log').select('hash').where('seq', '=', seq).executeTakeFirst();
  return r?.hash ?? null;
}

export async function deleteThrough(db: Kysely<Database>, seq: number): Promise<number> {
  const r = await db.deleteFrom('audit_log').where('seq', '<=', seq).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The monthly partitions (audit_log_pYYYYMM) with the end of their range; none on other layouts. */
export async function monthlyPartitions(db: Kysely<Database>): Promise<{ name: string; end: Date }[]> {
  const r = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'audit_log'::regclass and c.relname ~ '^audit_log_p[0-9]{6}$' order by c.relname`.execute(db);
  return r.rows.map(({ name }) => {
    const y = Number(name.slice(11, 15));
    const m = Number(name.slice(15, 17));
    return { name, end: new Date(Date.UTC(y, m, 1)) };
  });
}

/** audit_log_pYYYYMM for the month of `d` (UTC), with its bounds (as migration 0015 names them). */
export function monthPartition(d: Date): { name: string; from: string; to: string } {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { name: `audit_log_p${y}${String(m + 1).padStart(2, '0')}`, from: new Date(Date.UTC(y, m, 1)).toISOString(), to: new Date(Date.UTC(y, m + 1, 1)).toISOString() };
}

/**
 * Creates the partition unless it exists. Creating one takes audit_log to itself: with
 * `lockTimeoutMs` it waits at most that long for readers (else 55P03), so appends queued behind it
 * never wait on a long read.
 */
export async function createMonthPartition(db: Kysely<Database>, p: { name: string; from: string; to: string }, lockTimeoutMs?: number): Promise<void> {
  const exists = await sql`select 1 from pg_class where relname = ${p.name} and relnamespace = current_schema()::regnamespace`.execute(db);
  if (exists.rows.length) return;
  await db.transaction().execute(async (trx) => {
    if (lockTimeoutMs !== undefined) await setLockTimeout(trx, lockTimeoutMs);
    await sql`create table if not exists ${sql.id(p.name)} partition of audit_log for values from (${sql.lit(p.from)}) to (${sql.lit(p.to)})`.execute(trx);
  });
}

export async function maxSeqIn(db: Kysely<Database>, partition: string): Promise<number | null> {
  const r = await sql<{ seq: string | number | null }>`select max(seq) as seq from ${sql.id(partition)}`.execute(db);
  return r.rows[0]?.seq == null ? null : Number(r.rows[0].seq);
}

/** For the rest of this transaction, a lock not granted within `ms` fails (55P03) instead of waiting. */
async function setLockTimeout(trx: Kysely<Database>, ms: number): Promise<void> {
  await sql`select set_config('lock_timeout', ${`${Math.max(1, Math.trunc(ms))}ms`}, true)`.execute(trx);
}

/** Takes audit_log to itself for dropping partitions, waiting at most `timeoutMs` for readers (else 55P03). */
export async function lockForDrop(db: Kysely<Database>, timeoutMs: number): Promise<void> {
  await setLockTimeout(db, timeoutMs);
  await sql`lock table audit_log in access exclusive mode`.execute(db);
}

/** Detaches and drops one monthly partition; returns how many rows it held. */
export async function dropPartition(db: Kysely<Database>, name: string): Promise<number> {
  if (!/^audit_log_p[0-9]{6}$/.test(name)) throw new Error(`not an audit partition: ${name}`);
  const r = await sql<{ n: string }>`select count(*) as n from ${sql.id(name)}`.execute(db);
  await sql`alter table audit_log detach partition ${sql.id(name)}`.execute(db);
  await sql`drop table ${sql.id(name)}`.execute(db);
  return Number(r.rows[0].n);
}

function normaliseRow(r: AuditRow): AuditRow {
  // bigint comes back as a number (see db/connect.ts); jsonb as parsed JSON, or as text on drivers
  // that do not parse it.
  const detail = typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail;
  return { ...r, seq: Number(r.seq), at: new Date(r.at), detail };
}
