// Retention of the audit chain (GB/T 22239 level 3: at least six months): the prefix older than the
// cutoff goes, whole monthly partitions dropped and the rest deleted, and the purge record (appended
// by service.ts in the same transaction) carries, for every chain, the last purged seq and its hash:
// the anchors that verification continues from.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { logger } from '../log.ts';
import * as store from './store.ts';
import { newestHead } from './chain.ts';
import type { ChainHead } from './store.ts';

export const AUDIT_RETENTION_DAYS = 184;
const DAY_MS = 86_400_000;

export class AuditRetentionError extends Error {
  override name = 'AuditRetentionError';
}

export interface PurgeResult {
  deleted: number;
  throughSeq: number | null;
  droppedPartitions: string[];
  /** a long reader held audit_log past the lock timeout: nothing purged, the next run retries */
  postponed?: true;
}

/** Partitions for this month and the next `ahead` months (PostgreSQL and PGlite alike). */
export async function ensurePartitions(db: Kysely<Database>, ahead: number, lockTimeoutMs?: number): Promise<void> {
  const now = new Date();
  for (let i = 0; i <= ahead; i++) {
    const p = store.monthPartition(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)));
    try {
      await store.createMonthPartition(db, p, lockTimeoutMs);
    } catch (err) {
      // rows of that month already sit in the default partition: they stay there (purged by delete);
      // or a long read held audit_log past the lock timeout: the next run (6 h, months ahead) retries
      logger.warn({ err: (err as Error).message, partition: p.name }, 'audit: partition not created');
    }
  }
}

/**
 * With every head locked (`locked.now` is the database clock, which also stamped the records): purges
 * the prefix before `before` (by seq, across chains). Dropping a partition needs audit_log to itself;
 * the head locks keep appenders out, and readers (a verify, an export) are waited for at most `lockTimeoutMs`,
 * so appends never stall behind a long read (the lock timeout aborts the transaction: postponed).
 */
export async function purgeLocked(
  trx: Kysely<Database>,
  locked: { heads: ChainHead[]; now: Date },
  before: Date,
  lockTimeoutMs: number,
): Promise<{ result: PurgeResult; detail: Record<string, unknown> | null }> {
  const limit = new Date(locked.now.getTime() - AUDIT_RETENTION_DAYS * DAY_MS);
  if (before.getTime() > limit.getTime()) {
    throw new AuditRetentionError(`audit records are kept at least ${AUDIT_RETENTION_DAYS} days: refusing to purge records after ${limit.toISOString()}`);
  }
  const none = { result: { deleted: 0, throughSeq: null, droppedPartitions: [] }, detail: null };
  const from = await store.firstSeq(trx);
  if (from === null) return none;
  const keepFrom = await store.firstSeqAtOrAfter(trx, before);
  const through = keepFrom === null ? newestHead(locked.heads).seq : keepFrom - 1;
  if (through < from) return none;
  // every chain's anchor, also of chains this purge takes nothing from: an earlier purge record
  // that vouched for them may go now (a link past `through` is not this purge's to vouch for)
  const anchors = (await store.linksPast(trx, through)).filter((a) => a.seq > 0 && a.seq <= through);
  let deleted = 0;
  const droppedPartitions: string[] = [];
  for (const p of await store.monthlyPartitions(trx)) {
    if (p.end.getTime() > before.getTime()) continue;
    const max = await store.maxSeqIn(trx, p.name);
    if (max !== null && max > through) continue; // out-of-order clocks: leave it to the delete below
    if (droppedPartitions.length === 0) await store.lockForDrop(trx, lockTimeoutMs);
    deleted += await store.dropPartition(trx, p.name);
    droppedPartitions.push(p.name);
  }
  deleted += await store.deleteThrough(trx, through);
  return { result: { deleted, throughSeq: through, droppedPartitions }, detail: { before: before.toISOString(), from_seq: from, through_seq: through, anchors, deleted } };
}

/** PostgreSQL's lock_not_available (lock_timeout expired) */
export function isLockTimeout(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === '55P03';
}
