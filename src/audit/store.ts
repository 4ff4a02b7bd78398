// SQL for the audit chain. Every function takes the executor it runs on: the Kysely instance or a
// transaction (the head lock only means something inside a transaction).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { AuditLogTable } from './tables.ts';
import { GENESIS_HASH, linkedSeq } from './chain.ts';

export type AuditRow = Selectable<AuditLogTable>;

/** A chain's head: the seq and hash of its newest record (0 and GENESIS_HASH before the first). */
export interface ChainHead {
  chain: number;
  seq: number;
  hash: string;
}

export interface LockedHead extends ChainHead {
  /** database clock, millisecond precision (what a JS Date and the MAC input can hold exactly) */
  now: Date;
  /** another process holds the chain's lease */
  foreign: boolean;
}

const NOW_MS = sql<Date>`date_trunc('milliseconds', clock_timestamp())`;
/** a chain this holder may take: nobody's, its own, or one whose lease ran out */
const free = (holder: string) => sql<boolean>`(holder is null or holder = ${holder} or lease_until < clock_timestamp())`;

function toHead(r: { chain: number; seq: number | string; hash: string }): ChainHead {
  return { chain: Number(r.chain), seq: Number(r.seq), hash: r.hash };
}

function locked(r: { chain: number; seq: number | string; hash: string; now: Date; foreign?: boolean | null }): LockedHead {
  return { ...toHead(r), now: new Date(r.now), foreign: r.foreign === true };
}

/**
 * Locks one chain's head until the transaction ends: appends to that chain serialise here, other
 * chains go on. Draws `n` seqs in the same statement (a round trip less per append); they may be
 * drawn before a wait for the lock, so the caller checks they lie past the head (else advanceSeq).
 */
export async function lockChain(db: Kysely<Database>, chain: number, holder: string, n: number): Promise<(LockedHead & { seqs: number[] }) | null> {
  const r = await sql<{ chain: number; seq: string; hash: string; now: Date; foreign: boolean; seqs: (string | number)[] }>`
    select chain, seq, hash, ${NOW_MS} as now,
      holder is not null and holder <> ${holder} and lease_until > clock_timestamp() as foreign,
      (select array_agg(v order by v) from (select nextval('audit_log_seq') as v from generate_series(1, ${n}::int)) s) as seqs
    from audit_head where chain = ${chain} for update`.execute(db);
  const row = r.rows[0];
  return row ? { ...locked(row), seqs: row.seqs.map(Number) } : null;
}

/** Locks a chain that nobody holds (or whose lease ran out), this holder's own first; null when there is none free. */
export async function claimChain(db: Kysely<Database>, holder: string): Promise<LockedHead | null> {
  const r = await sql<{ chain: number; seq: string; hash: string; now: Date }>`
    select chain, seq, hash, ${NOW_MS} as now from audit_head
    where ${free(holder)}
    order by holder = ${holder} desc nulls last, chain limit 1 for update skip locked`.execute(db);
  return r.rows[0] ? locked(r.rows[0]) : null;
}

/** Starts a new chain, held by `holder` and locked (unseen by others until commit); null when another process took that number first. */
export async function newChain(db: Kysely<Database>, holder: string, leaseMs: number): Promise<LockedHead | null> {
  const r = await sql<{ chain: number; seq: string; hash: string; now: Date }>`
    insert into audit_head (id, chain, seq, hash, holder, lease_until)
    select n, n, 0, ${GENESIS_HASH}, ${holder}, clock_timestamp() + ${`${leaseMs} milliseconds`}::interval
    from (select (coalesce(max(chain), 0) + 1)::smallint as n from audit_head) m
    on conflict (chain) do nothing
    returning chain, seq, hash, ${NOW_MS} as now`.execute(db);
  return r.rows[0] ? locked(r.rows[0]) : null;
}

/** Moves a chain's head; with `lease`, renews the holder's lease (taken only when nobody else holds it). */
export async function updateHead(db: Kysely<Database>, chain: number, seq: number, hash: string, lease?: { holder: string; ms: number }): Promise<void> {
  if (!lease) {
    await db.updateTable('audit_head').set({ seq, hash }).where('chain', '=', chain).execute();
    return;
  }
  const mine = free(lease.holder);
  await sql`update audit_head set seq = ${seq}, hash = ${hash},
      lease_until = case when ${mine} then clock_timestamp() + ${`${lease.ms} milliseconds`}::interval else lease_until end,
      holder = case when ${mine} then ${lease.holder} else holder end
    where chain = ${chain}`.execute(db);
}

/** Lets go of every chain this holder leases (graceful shutdown), so the next process takes them instead of starting others. */
export async function releaseChains(db: Kysely<Database>, holder: string): Promise<void> {
  await db.updateTable('audit_head').set({ holder: null, lease_until: null }).where('holder', '=', holder).execute();
}

/** `n` seqs from the global sequence, ascending. Drawn under a chain's head lock, they rise along the chain. */
export async function nextSeqs(db: Kysely<Database>, n: number): Promise<number[]> {
  const r = await sql<{ seq: string }>`select nextval('audit_log_seq') as seq from generate_series(1, ${n}::int)`.execute(db);
  return r.rows.map((x) => Number(x.seq)).sort((a, b) => a - b);
}

/**
 * Moves the sequence past every chain's head when it lies behind them (a restore that did not carry
 * it, rows written around it); otherwise leaves it alone, so that it never goes back.
 */
export async function advanceSeq(db: Kysely<Database>): Promise<void> {
  await sql`select setval('audit_log_seq', h.m) from (select max(seq) as m from audit_head) h
    where h.m > (select last_value from audit_log_seq)`.execute(db);
}

/** Every chain's head, by chain. */
export async function readHeads(db: Kysely<Database>): Promise<ChainHead[]> {
  const rows = await db.selectFrom('audit_head').select(['chain', 'seq', 'hash']).orderBy('chain').execute();
  return rows.map(toHead);
}

/**
 * Locks every chain's head (a purge, a reseal's finish): no append to an existing chain until the
 * transaction ends (a process without one may still start a new chain meanwhile; it starts at genesis).
 */
export async function lockHeads(db: Kysely<Database>): Promise<{ heads: ChainHead[]; now: Date }> {
  const rows = await db.selectFrom('audit_head').select(['chain', 'seq', 'hash', NOW_MS.as('now')]).orderBy('chain').forUpdate().execute();
  if (!rows.length) throw new Error('audit_head row missing: the database was not migrated');
  return { heads: rows.map(toHead), now: new Date(rows[0].now) };
}

/** One chain's head (chain 1 unless told). */
export async function readHead(db: Kysely<Database>, chain = 1): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('chain', '=', chain).executeTakeFirst();
  if (!head) throw new Error('audit_head row missing: the database was not migrated');
  return { seq: Number(head.seq), hash: head.hash };
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

export async function insertRecords(
  db: Kysely<Database>,
  rows: (Omit<AuditRow, 'detail' | 'chain' | 'prev_seq'> & { detail: Record<string, unknown>; chain?: number; prev_seq?: number | null })[],
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values(rows.map((row) => ({ ...row, detail: JSON.stringify(row.detail) })))
    .execute();
}

/** One page of every chain's records in seq order, after `after` (keyset pagination on (seq, chain): constant cost per page, no row passed over). */
export async function pageAfter(db: Kysely<Database>, after: { seq: number; chain: number }, limit: number): Promise<AuditRow[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where(sql<boolean>`(seq, chain) > (${after.seq}, ${after.chain})`)
    .orderBy('seq')
    .orderBy('chain')
    .limit(limit)
    .execute();
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

/** The hash of the record at `seq` (in `chain`, when given), or null when there is none. */
export async function hashAt(db: Kysely<Database>, seq: number, chain?: number): Promise<string | null> {
  let q = db.selectFrom('audit_log').select('hash').where('seq', '=', seq);
  if (chain !== undefined) q = q.where('chain', '=', chain);
  return (await q.executeTakeFirst())?.hash ?? null;
}

/** The oldest record of one chain: its seq and the seq it links to. */
export async function firstInChain(db: Kysely<Database>, chain: number): Promise<{ seq: number; prevSeq: number } | null> {
  const r = await db.selectFrom('audit_log').select(['seq', 'prev_seq']).where('chain', '=', chain).orderBy('seq').limit(1).executeTakeFirst();
  return r ? { seq: Number(r.seq), prevSeq: linkedSeq({ seq: Number(r.seq), prev_seq: r.prev_seq === null ? null : Number(r.prev_seq) }) } : null;
}

/**
 * For every chain, the record its part after `through` links to: the first such record's link
 * (prev_seq, prev_hash), or the head when it has none. What a purge through there vouches for.
 */
export async function linksPast(db: Kysely<Database>, through: number): Promise<ChainHead[]> {
  const r = await sql<{ chain: number; head_seq: string; head_hash: string; kept_seq: string | null; prev_seq: string | null; prev_hash: string | null }>`
    select h.chain, h.seq as head_seq, h.hash as head_hash, k.seq as kept_seq, k.prev_seq, k.prev_hash
    from audit_head h left join lateral (
      select seq, prev_seq, prev_hash from audit_log l where l.chain = h.chain and l.seq > ${through} order by l.seq limit 1
    ) k on true order by h.chain`.execute(db);
  return r.rows.map((x) =>
    x.kept_seq === null
      ? toHead({ chain: x.chain, seq: x.head_seq, hash: x.head_hash })
      : { chain: Number(x.chain), seq: linkedSeq({ seq: Number(x.kept_seq), prev_seq: x.prev_seq === null ? null : Number(x.prev_seq) }), hash: x.prev_hash! },
  );
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
  return { ...r, seq: Number(r.seq), at: new Date(r.at), detail, chain: Number(r.chain), prev_seq: r.prev_seq === null ? null : Number(r.prev_seq) };
}
