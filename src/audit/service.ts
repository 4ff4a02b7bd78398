// The audit trail: every security event appended to a hash chain. Each process appends to a chain
// of its own (leased in audit_head, see store.ts), so nodes never wait on one another's appends.
//
// - append: under `SELECT ... FROM audit_head WHERE chain = $mine FOR UPDATE`, seq = the next value
//   of the global sequence (rising along each chain, ordering records across chains),
//   hash = MAC(head.hash + '\n' + canonical record), insert with prev_seq = head.seq, move the head.
//   Given a transaction, the record commits (or rolls back) with the change it describes.
// - verify (verify.ts, reach.ts): the first bad record over all chains, in one repeatable-read
//   snapshot; and whether the chains still reach signed checkpoints of all their heads kept outside
//   the database (checkpoint.ts), which is what ties the chains together.
// - purgeBefore: retention (≥ 184 days). Deleting the oldest rows is itself audited: the purge
//   appends an `audit.purge` record holding, per chain, the last deleted seq and its hash (the
//   anchors). verify starts each chain from its first remaining row's link and accepts a missing
//   prefix only when a MAC-protected purge record vouches for exactly that anchor, so nothing is
//   stored outside the chain and an unlogged deletion of the oldest rows is still detected.
// - Every record is also logged (masked, as stored), so an operator watching stderr sees logins,
//   lockouts and the rest as they happen.
// - Failures nobody is accountable for (no actor, no client: server errors, token requests from
//   unauthenticated clients) are what an anonymous flood produces: at most N per event per minute
//   per process are written; an `audit.suppressed` record counts the rest.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { chainHash } from './chain.ts';
import { PURGE_EVENT, walkChain } from './verify.ts';
import { checkpointHead, headStillReaches, reaches, type Head, type ReachReason, type ReachResult } from './reach.ts';
import * as store from './store.ts';
import { ChainLease } from './lease.ts';
import { AUDIT_RETENTION_DAYS, AuditRetentionError, ensurePartitions, isLockTimeout, purgeLocked, type PurgeResult } from './retention.ts';
import { logger } from '../log.ts';
import type { AuditEventName } from './events.ts';
import { logRecord, prepare, type Prepared } from './record.ts';
import type { AuditEvent, AuditRecord, AuditVerifyResult } from './types.ts';

export type { AuditBadReason, AuditEvent, AuditOutcome, AuditRecord, AuditVerifyResult } from './types.ts';

export { PURGE_EVENT } from './verify.ts';
export { AUDIT_RETENTION_DAYS, AuditRetentionError };
export const SUPPRESSED_EVENT: AuditEventName = 'audit.suppressed';

export interface AuditLogOptions {
  /** rows per page while verifying (default 1000) */
  verifyPageSize?: number;
  /** per event per minute per process, for failures with neither actor nor client (default 60) */
  anonymousFailuresPerMinute?: number;
  /** the clock of the cap's one-minute windows (tests) */
  now?: () => number;
  /** how long a purge (holding the head) or a new partition waits for readers to let go of audit_log (default 3000 ms) */
  purgeLockTimeoutMs?: number;
}

interface CapWindow {
  start: number;
  written: number;
  dropped: number;
  timer?: NodeJS.Timeout;
}

const DAY_MS = 86_400_000;
/** records per group commit */
const MAX_BATCH = 500;
const CAP_WINDOW_MS = 60_000;

export class AuditLog {
  readonly #db: Kysely<Database>;
  readonly #keyring: Keyring;
  readonly #pageSize: number;
  readonly #cap: number;
  readonly #now: () => number;
  readonly #purgeLockTimeoutMs: number;
  readonly #windows = new Map<string, CapWindow>();
  readonly #lease = new ChainLease();

  constructor(db: Kysely<Database>, keyring: Keyring, opts: AuditLogOptions = {}) {
    this.#db = db;
    this.#keyring = keyring;
    this.#pageSize = Math.max(1, opts.verifyPageSize ?? 1000);
    this.#cap = Math.max(1, opts.anonymousFailuresPerMinute ?? 60);
    this.#now = opts.now ?? Date.now;
    this.#purgeLockTimeoutMs = opts.purgeLockTimeoutMs ?? 3000;
  }

  /**
   * Appends one record. With `trx`, it is written inside that transaction and this process's chain
   * head stays locked until it ends, so append last in the transaction (and keep the transaction
   * short: this process's other appends wait for it). Use read committed (the default) for `trx`.
   *
   * Without `trx`, appends are group-committed: records that arrive while a write is in flight go
   * together in the next transaction (one head lock, one multi-row insert), so the serialised chain
   * does not cap the process's throughput. The promise settles when the record's batch commits.
   */
  async append(e: AuditEvent, trx?: Transaction<Database>): Promise<void> {
    const prepared = prepare(e);
    if (!trx && this.#overCap(prepared)) return;
    logRecord(prepared);
    if (trx) {
      await this.#appendIn(trx, [prepared]);
      return;
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ record: prepared, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  #queue: { record: Prepared; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #flushing = false;
  #idle: (() => void)[] = [];

  /** Resolves once every queued record is written (graceful shutdown), drop counts included. */
  drain(): Promise<void> {
    for (const [event, w] of this.#windows) this.#recordDropped(event, w);
    if (!this.#flushing && !this.#queue.length) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Counts the record against its event's allowance; true when it must be dropped. */
  #overCap(p: Prepared): boolean {
    if ((p.outcome !== 'failure' && p.outcome !== 'denied') || p.actor !== null || p.client_id !== null) return false;
    const now = this.#now();
    let w = this.#windows.get(p.event);
    if (w && now - w.start >= CAP_WINDOW_MS) {
      this.#recordDropped(p.event, w);
      w = undefined;
    }
    if (!w) this.#windows.set(p.event, (w = { start: now, written: 0, dropped: 0 }));
    if (w.written < this.#cap) {
      w.written++;
      return false;
    }
    if (w.dropped++ === 0) {
      logger.warn({ event: p.event, per_minute: this.#cap }, 'audit: flood of anonymous failures, recording only a count for the rest of the minute');
      const window = w;
      w.timer = setTimeout(() => this.#recordDropped(p.event, window), Math.max(0, w.start + CAP_WINDOW_MS - now));
      w.timer.unref();
    }
    return true;
  }

  #recordDropped(event: string, w: CapWindow): void {
    clearTimeout(w.timer);
    w.timer = undefined;
    if (w.dropped === 0) return;
    const detail = { event, suppressed: w.dropped, since: new Date(w.start).toISOString(), per_minute: this.#cap };
    w.dropped = 0;
    this.append({ event: SUPPRESSED_EVENT, outcome: 'info', detail }).catch((err: Error) => logger.error({ err: err.message, event: SUPPRESSED_EVENT }, 'audit append failed'));
  }

  async #flush(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#db.transaction().execute((t) => this.#appendIn(t, batch.map((b) => b.record)));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.#flushing = false;
    for (const done of this.#idle.splice(0)) done();
  }

  async #appendIn(db: Kysely<Database>, records: Prepared[]): Promise<void> {
    const head = await this.#lease.lock(db, records.length);
    let prev = { seq: head.seq, hash: head.hash };
    const rows = records.map((e, i) => {
      const fields = { seq: head.seqs[i], at: head.now, ...e, key_id: this.#keyring.auditKeyId, chain: head.chain, prev_seq: prev.seq };
      const hash = chainHash(this.#keyring, prev.hash, fields);
      const row = { ...fields, prev_hash: prev.hash, hash };
      prev = { seq: row.seq, hash };
      return row;
    });
    await store.insertRecords(db, rows);
    await this.#lease.moveHead(db, head.chain, prev.seq, prev.hash);
  }

  /** Gives this process's chains back (graceful shutdown), so the next process appends to them instead of starting others. */
  release(): Promise<void> {
    return this.#lease.release(this.#db);
  }

  async verify(): Promise<AuditVerifyResult> {
    return (await this.#snapshot((trx) => walkChain(trx, this.#keyring, this.#pageSize))).result;
  }

  /**
   * Whether the chain still reaches every checkpointed head given: the record at each `seq` has that
   * hash (or was purged under a verified anchor) and the chain is intact from the oldest record to the head.
   */
  async verifyReaches(cps: Head | readonly Head[]): Promise<ReachResult> {
    const list = Array.isArray(cps) ? (cps as readonly Head[]) : [cps as Head];
    return this.#snapshot((trx) => reaches(trx, this.#keyring, this.#pageSize, list));
  }

  /** The periodic task's cheap check before it signs: the last checkpoint is still reached (null) or why not. */
  stillReaches(cp: Head): Promise<ReachReason | null> {
    return this.#snapshot((trx) => headStillReaches(trx, cp));
  }

  /** What a checkpoint signs, as it is now: the newest record's seq and hash, and every chain's head when there are several. */
  async head(): Promise<Head> {
    return checkpointHead(await store.readHeads(this.#db));
  }

  #snapshot<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn);
  }

  /** Newest first. `limit` defaults to 100, at most 1000. `actor` and `events` narrow to one actor's records of those events; `target` to the records about one person (sub), org (USCC) or client. */
  async list(
    opts: { since?: Date; until?: Date; limit?: number; event?: AuditEventName; events?: readonly AuditEventName[]; outcome?: string; actor?: string; target?: string; beforeSeq?: number } = {},
  ): Promise<AuditRecord[]> {
    const limit = Math.min(1000, Math.max(1, Math.trunc(opts.limit ?? 100)));
    const rows = await store.listRecords(this.#db, { ...opts, limit });
    return rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      event: r.event,
      outcome: r.outcome,
      clientId: r.client_id,
      ip: r.ip,
      detail: r.detail,
      prevHash: r.prev_hash,
      hash: r.hash,
      keyId: r.key_id,
    }));
  }

  /**
   * Deletes records older than `before`, which must be at least 184 days ago. Only a gapless
   * prefix of the chain goes (rows up to the first one at or after `before`), and the purge appends
   * an `audit.purge` record in the same transaction (see the header comment). Whole monthly
   * partitions before `before` are detached and dropped; what is left (the default partition, a
   * partly expired month) is deleted row by row.
   */
  async purgeBefore(before: Date, opts: { actor?: string | null } = {}): Promise<PurgeResult> {
    if (!(before instanceof Date) || Number.isNaN(before.getTime())) throw new AuditRetentionError('purge date is not a valid date');
    return this.#purge(() => before, opts);
  }

  /**
   * The retention task: creates the coming months' partitions, then purges records older than
   * `retentionDays` (at least 184) by the database clock.
   */
  async purgeExpired(retentionDays: number, opts: { actor?: string | null } = {}): Promise<PurgeResult> {
    if (!(retentionDays >= AUDIT_RETENTION_DAYS)) throw new AuditRetentionError(`audit records are kept at least ${AUDIT_RETENTION_DAYS} days`);
    await this.ensurePartitions();
    return this.#purge((now) => new Date(now.getTime() - retentionDays * DAY_MS), opts);
  }

  /** Partitions for this month and the next `ahead` months (PostgreSQL and PGlite alike). */
  ensurePartitions(ahead = 3): Promise<void> {
    return ensurePartitions(this.#db, ahead, this.#purgeLockTimeoutMs);
  }

  async #purge(cutoff: (dbNow: Date) => Date, opts: { actor?: string | null }): Promise<PurgeResult> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const locked = await store.lockHeads(trx);
        const done = await purgeLocked(trx, locked, cutoff(locked.now), this.#purgeLockTimeoutMs);
        if (done.detail) await this.#appendIn(trx, [prepare({ event: PURGE_EVENT, outcome: 'success', actor: opts.actor ?? null, detail: done.detail }, { trusted: true })]);
        return done.result;
      });
    } catch (err) {
      if (!isLockTimeout(err)) throw err;
      logger.warn('audit purge postponed: a long read of audit_log (verify, export) held the table; the next run retries');
      return { deleted: 0, throughSeq: null, droppedPartitions: [], postponed: true };
    }
  }
}
