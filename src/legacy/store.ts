// SQL of the import jobs: jobs and their import lock, the review queue and rejections, with the
// set-based writes and lookups of an import's batches. Legacy accounts: account-store.ts.
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { insertLaidOut, rowLayout, type BulkTx } from '../db/bulk.ts';
import type { Database } from '../db/schema.ts';
import type { UidUse } from './account-store.ts';
import type { ImportConflictTable, ImportJobTable, ImportRejectionTable, ImportStatus } from './tables.ts';

type Q = Kysely<Database> | Transaction<Database>;

export type JobRow = Selectable<ImportJobTable>;
export type RejectionRow = Selectable<ImportRejectionTable>;
export type ConflictRow = Selectable<ImportConflictTable>;

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
  /** source rows counted at upload (admin imports) */
  rows_total?: number | null;
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
  /** One page, newest first, after the job `after` (keyset on started_at, id). */
  page(db: Q, filter: { departments?: string[]; status?: string }, after: { startedAt: Date; id: string } | null, limit: number): Promise<JobRow[]> {
    let q = db.selectFrom('import_jobs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit);
    if (filter.departments) q = filter.departments.length ? q.where('department_code', 'in', filter.departments) : q.where('department_code', '=', '\u0000');
    if (filter.status) q = q.where('status', '=', filter.status as ImportStatus);
    if (after) q = q.where((eb) => eb.or([eb('started_at', '<', after.startedAt), eb.and([eb('started_at', '=', after.startedAt), eb('id', '<', after.id)])]));
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
  /** A fixed source file replaces the one the job failed on (resume checked its unchanged prefix). */
  setFingerprint(db: Q, id: string, fingerprint: Record<string, unknown>): Promise<void> {
    return db
      .updateTable('import_jobs')
      .set({ source_fingerprint: JSON.stringify(fingerprint), updated_at: new Date() })
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
const NEW_REJECTION = rowLayout(NEW_REJECTION_COLUMNS, (r: NewRejectionRow) => [r.job_id, r.row_number, r.line, r.code, r.reason_zh, r.reason_en, r.column_name, r.masked_values]);

export const rejectionStore = {
  insertMany(tx: BulkTx, rows: readonly NewRejectionRow[]): Promise<void> {
    return insertLaidOut(tx, 'import_rejections', NEW_REJECTION, rows);
  },
  /**
   * Rejections that earlier jobs of the department recorded for these rows of the same source: a
   * re-run records the row again under its own job, so the review list holds one per source row.
   */
  async dropEarlier(db: Q, at: { jobId: string; department: string; source: string; rows: readonly number[] }): Promise<void> {
    await sql`
      delete from import_rejections r
       using import_jobs j
       where r.job_id = j.id and j.department_code = ${at.department} and j.source = ${at.source} and r.job_id <> ${at.jobId}
         and r.row_number in (select value::int from json_array_elements_text(${JSON.stringify(at.rows)}::json) as v(value))`.execute(db);
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
const NEW_CONFLICT = rowLayout(NEW_CONFLICT_COLUMNS, (r: NewConflictRow) => [
  r.id,
  r.job_id,
  r.row_number,
  r.department_code,
  r.legacy_uid,
  r.person_id,
  r.code,
  r.reason_zh,
  r.reason_en,
  r.column_name,
  r.masked_values,
  r.row_enc,
]);

export const conflictStore = {
  insertMany(tx: BulkTx, rows: readonly NewConflictRow[]): Promise<void> {
    return insertLaidOut(tx, 'import_conflicts', NEW_CONFLICT, rows);
  },
  /** Which of these uids of the department wait in the review queue, and since which job and row. */
  async pendingUids(db: Q, department: string, uids: readonly string[]): Promise<UidUse[]> {
    if (!uids.length) return [];
    const r = await sql<UidUse>`
      select legacy_uid, job_id, row_number from import_conflicts
       where department_code = ${department} and status = 'pending'
         and legacy_uid in (select value from json_array_elements_text(${JSON.stringify(uids)}::json) as v(value))`.execute(db);
    return r.rows;
  },
  page(db: Q, filter: { jobId?: string; status?: string }, afterRow: { jobId: string; row: number } | null, limit: number): Promise<ConflictRow[]> {
    let q = db.selectFrom('import_conflicts').selectAll().orderBy('created_at').orderBy('job_id').orderBy('row_number').limit(limit);
    if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
    if (filter.status) q = q.where('status', '=', filter.status as ConflictRow['status']);
    if (afterRow) q = q.where((eb) => eb.or([eb('job_id', '>', afterRow.jobId), eb.and([eb('job_id', '=', afterRow.jobId), eb('row_number', '>', afterRow.row)])]));
    return q.execute();
  },
  /** One page in (created_at, id) order after `after`, filtered by job, departments and status. */
  pageBy(db: Q, filter: { jobId?: string; departments?: string[]; status?: string }, after: { createdAt: Date; id: string } | null, limit: number): Promise<ConflictRow[]> {
    let q = db.selectFrom('import_conflicts').selectAll().orderBy('created_at').orderBy('id').limit(limit);
    if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
    if (filter.departments) q = filter.departments.length ? q.where('department_code', 'in', filter.departments) : q.where('department_code', '=', '\u0000');
    if (filter.status) q = q.where('status', '=', filter.status as ConflictRow['status']);
    if (after) q = q.where((eb) => eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]));
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
  decide(db: Q, id: string, patch: { status: 'merged' | 'kept_apart' | 'swapped'; decided_by: string; resolved_person_id: string }): Promise<void> {
    return db
      .updateTable('import_conflicts')
      .set({ ...patch, decided_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute()
      .then(() => undefined);
  },
};
