// SQL of the legacy domain: jobs and their import lock, legacy accounts, the review queue and
// rejections, with the set-based writes and lookups of an import's batches.
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { insertRecords, type BulkTx } from '../db/bulk.ts';
import type { Database } from '../db/schema.ts';
import type { ImportConflictTable, ImportJobTable, ImportRejectionTable, ImportStatus, LegacyAccountTable } from './tables.ts';

type Q = Kysely<Database> | Transaction<Database>;

export type JobRow = Selectable<ImportJobTable>;
export type RejectionRow = Selectable<ImportRejectionTable>;
export type ConflictRow = Selectable<ImportConflictTable>;
export type LegacyAccountRow = Selectable<LegacyAccountTable>;

/** Where a legacy uid was first used: the job and source row. */
export interface UidUse {
  legacy_uid: string;
  job_id: string;
  row_number: number;
}

/** A JSON array as one parameter: a batch's keys, whatever their number. */
const jsonList = (values: readonly string[]) => JSON.stringify(values);

/**
 * Imports of one department never overlap: a session advisory lock, held by the import's own
 * connection and released when it closes (or its process dies).
 */
export const importLockStore = {
  async tryTake(db: Q, department: string): Promise<boolean> {
    const r = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext('yitong.import'), hashtext(${department})) as ok`.execute(db);
    return r.rows[0].ok;
  },
};

export interface NewJob {
  id: string;
  department_code: string;
  source: string;
  source_kind: string;
  source_fingerprint: Record<string, unknown> | null;
  source_secret_enc: string | null;
  profile: Record<string, unknown>;
  status: ImportStatus;
  counters: Record<string, unknown>;
  actor: string;
}

export const jobStore = {
  insert(db: Q, job: NewJob & { checkpoint?: number; error?: Record<string, unknown> | null; report?: Record<string, unknown> | null; finished_at?: Date | null }): Promise<void> {
    return db
      .insertInto('import_jobs')
      .values({
        ...job,
        source_fingerprint: job.source_fingerprint ? JSON.stringify(job.source_fingerprint) : null,
        profile: JSON.stringify(job.profile),
        counters: JSON.stringify(job.counters),
        error: job.error ? JSON.stringify(job.error) : null,
        report: job.report ? JSON.stringify(job.report) : null,
        updated_at: new Date(),
      })
      .execute()
      .then(() => undefined);
  },
  byId(db: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<JobRow | undefined> {
    const q = db.selectFrom('import_jobs').selectAll().where('id', '=', id);
    return (opts.forUpdate ? q.forUpdate() : q).executeTakeFirst();
  },
  list(db: Q, opts: { department?: string; limit: number }): Promise<JobRow[]> {
    let q = db.selectFrom('import_jobs').selectAll().orderBy('started_at', 'desc').orderBy('id').limit(opts.limit);
    if (opts.department) q = q.where('department_code', '=', opts.department);
    return q.execute();
  },
  setStatus(db: Q, id: string, patch: { status: ImportStatus; error?: Record<string, unknown> | null; report?: Record<string, unknown> | null; finished_at?: Date | null }): Promise<void> {
    return db
      .updateTable('import_jobs')
      .set({
        status: patch.status,
        ...(patch.error !== undefined ? { error: patch.error ? JSON.stringify(patch.error) : null } : {}),
        ...(patch.report !== undefined ? { report: patch.report ? JSON.stringify(patch.report) : null } : {}),
        ...(patch.finished_at !== undefined ? { finished_at: patch.finished_at } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .execute()
      .then(() => undefined);
  },
  /** Moves the checkpoint from `from` to `to` with the new counters; false when it was not at `from`. */
  async advance(db: Q, id: string, move: { from: number; to: number; counters: Record<string, unknown> }): Promise<boolean> {
    const r = await db
      .updateTable('import_jobs')
      .set({ checkpoint: move.to, counters: JSON.stringify(move.counters), updated_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('checkpoint', '=', move.from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};

const NEW_REJECTION_COLUMNS = ['job_id', 'row_number', 'line', 'code', 'reason_zh', 'reason_en', 'column_name', 'masked_values'] as const;
export type NewRejectionRow = Required<Pick<Insertable<ImportRejectionTable>, (typeof NEW_REJECTION_COLUMNS)[number]>>;

export const rejectionStore = {
  insertMany(tx: BulkTx, rows: readonly NewRejectionRow[]): Promise<void> {
    return insertRecords(tx, 'import_rejections', NEW_REJECTION_COLUMNS, rows);
  },
  /** One page in row order, after `afterRow`. */
  page(db: Q, jobId: string, afterRow: number, limit: number): Promise<RejectionRow[]> {
    return db.selectFrom('import_rejections').selectAll().where('job_id', '=', jobId).where('row_number', '>', afterRow).orderBy('row_number').limit(limit).execute();
  },
  count(db: Q, jobId: string): Promise<number> {
    return db
      .selectFrom('import_rejections')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  },
};

const NEW_CONFLICT_COLUMNS = [
  'id',
  'job_id',
  'row_number',
  'department_code',
  'legacy_uid',
  'person_id',
  'code',
  'reason_zh',
  'reason_en',
  'column_name',
  'masked_values',
  'row_enc',
] as const;
export type NewConflictRow = Required<Pick<Insertable<ImportConflictTable>, (typeof NEW_CONFLICT_COLUMNS)[number]>>;

export const conflictStore = {
  insertMany(tx: BulkTx, rows: readonly NewConflictRow[]): Promise<void> {
    return insertRecords(tx, 'import_conflicts', NEW_CONFLICT_COLUMNS, rows);
  },
  /** Which of these uids of the department wait in the review queue, and since which job and row. */
  async pendingUids(db: Q, department: string, uids: readonly string[]): Promise<UidUse[]> {
    if (!uids.length) return [];
    const r = await sql<UidUse>`
      select legacy_uid, job_id, row_number from import_conflicts
       where department_code = ${department} and status = 'pending'
         and legacy_uid in (select value from json_array_elements_text(${jsonList(uids)}::json) as v(value))`.execute(db);
    return r.rows;
  },
  page(db: Q, filter: { jobId?: string; status?: string }, afterRow: { jobId: string; row: number } | null, limit: number): Promise<ConflictRow[]> {
    let q = db.selectFrom('import_conflicts').selectAll().orderBy('created_at').orderBy('job_id').orderBy('row_number').limit(limit);
    if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
    if (filter.status) q = q.where('status', '=', filter.status as ConflictRow['status']);
    if (afterRow) q = q.where((eb) => eb.or([eb('job_id', '>', afterRow.jobId), eb.and([eb('job_id', '=', afterRow.jobId), eb('row_number', '>', afterRow.row)])]));
    return q.execute();
  },
  /** Conflicts of one job in row order, after `afterRow`. */
  forJob(db: Q, jobId: string, afterRow: number, limit: number): Promise<ConflictRow[]> {
    return db.selectFrom('import_conflicts').selectAll().where('job_id', '=', jobId).where('row_number', '>', afterRow).orderBy('row_number').limit(limit).execute();
  },
  count(db: Q, jobId: string): Promise<number> {
    return db
      .selectFrom('import_conflicts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  },
  byId(db: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<ConflictRow | undefined> {
    const q = db.selectFrom('import_conflicts').selectAll().where('id', '=', id);
    return (opts.forUpdate ? q.forUpdate() : q).executeTakeFirst();
  },
  decide(db: Q, id: string, patch: { status: 'merged' | 'kept_apart'; decided_by: string; resolved_person_id: string }): Promise<void> {
    return db
      .updateTable('import_conflicts')
      .set({ ...patch, decided_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute()
      .then(() => undefined);
  },
};

export interface LegacyHashRow {
  department_code: string;
  legacy_uid: string;
  password_scheme: string | null;
  password_enc: string;
}

const NEW_ACCOUNT_COLUMNS = [
  'department_code',
  'legacy_uid',
  'person_id',
  'login_name_bidx',
  'password_scheme',
  'password_enc',
  'id_number_unverified_enc',
  'uscc',
  'org_name',
  'org_id',
  'job_id',
  'row_number',
] as const;
export type NewLegacyAccountRow = Required<Pick<Insertable<LegacyAccountTable>, (typeof NEW_ACCOUNT_COLUMNS)[number]>>;

export const legacyAccountStore = {
  /** Set-based insert (COPY on an import's connection); the review queue inserts one. */
  insertMany(tx: BulkTx, rows: readonly NewLegacyAccountRow[]): Promise<void> {
    return insertRecords(tx, 'legacy_accounts', NEW_ACCOUNT_COLUMNS, rows);
  },
  /** Which of these uids of the department are linked already, and by which job and row. */
  async linkedUids(db: Q, department: string, uids: readonly string[]): Promise<UidUse[]> {
    if (!uids.length) return [];
    const r = await sql<UidUse>`
      select legacy_uid, job_id, row_number from legacy_accounts
       where department_code = ${department}
         and legacy_uid in (select value from json_array_elements_text(${jsonList(uids)}::json) as v(value))`.execute(db);
    return r.rows;
  },
  exists(db: Q, department: string, legacyUid: string): Promise<boolean> {
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .where('department_code', '=', department)
      .where('legacy_uid', '=', legacyUid)
      .executeTakeFirst()
      .then((r) => r !== undefined);
  },
  /** Persons behind a login-name index; up to two, so the caller can tell one from ambiguous. */
  personsByLogin(db: Q, loginBidx: string): Promise<string[]> {
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .distinct()
      .where('login_name_bidx', '=', loginBidx)
      .limit(2)
      .execute()
      .then((rows) => rows.map((r) => r.person_id));
  },
  /** The foreign hashes that still let this person in. */
  activeHashes(db: Q, personId: string): Promise<LegacyHashRow[]> {
    return db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'password_scheme', 'password_enc'])
      .where('person_id', '=', personId)
      .where('password_retired_at', 'is', null)
      .where('password_enc', 'is not', null)
      .orderBy('department_code')
      .orderBy('legacy_uid')
      .execute() as Promise<LegacyHashRow[]>;
  },
  /** Retires every foreign hash of the person: the sealed hash is erased, the scheme kept for the record. */
  retireAll(db: Q, personId: string): Promise<number> {
    return db
      .updateTable('legacy_accounts')
      .set({ password_enc: null, password_retired_at: new Date() })
      .where('person_id', '=', personId)
      .where('password_retired_at', 'is', null)
      .where('password_enc', 'is not', null)
      .executeTakeFirst()
      .then((r) => Number(r.numUpdatedRows));
  },
  /** Login names of the department that lead to more than one person: `CODE/name` logs nobody in. */
  ambiguousLoginNames(db: Q, department: string): Promise<number> {
    return db
      .selectFrom((eb) =>
        eb
          .selectFrom('legacy_accounts')
          .select('login_name_bidx')
          .where('department_code', '=', department)
          .where('login_name_bidx', 'is not', null)
          .groupBy('login_name_bidx')
          .having((h) => h.fn.count('person_id').distinct(), '>', 1)
          .as('d'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  },
  /** The person's legacy user id in a department: the first linked, when the source had several. */
  uidFor(db: Q, personId: string, department: string): Promise<string | null> {
    return db
      .selectFrom('legacy_accounts')
      .select('legacy_uid')
      .where('person_id', '=', personId)
      .where('department_code', '=', department)
      .orderBy('created_at')
      .orderBy('row_number')
      .limit(1)
      .executeTakeFirst()
      .then((r) => r?.legacy_uid ?? null);
  },
};
