// SQL of the legacy domain outside the batch writer (job/write.ts): jobs, review queue, reports,
// and what login and claims read from legacy accounts.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { ImportConflictTable, ImportJobTable, ImportRejectionTable, ImportStatus, LegacyAccountTable } from './tables.ts';

type Q = Kysely<Database> | Transaction<Database>;

export type JobRow = Selectable<ImportJobTable>;
export type RejectionRow = Selectable<ImportRejectionTable>;
export type ConflictRow = Selectable<ImportConflictTable>;
export type LegacyAccountRow = Selectable<LegacyAccountTable>;

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
};

export const rejectionStore = {
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

export const conflictStore = {
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

export const legacyAccountStore = {
  insert(db: Q, row: Omit<LegacyAccountRow, 'created_at' | 'password_retired_at'>): Promise<void> {
    return db
      .insertInto('legacy_accounts')
      .values(row)
      .execute()
      .then(() => undefined);
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
  /** A person's legacy accounts, optionally only those of some departments (administrators' view). */
  ofPerson(db: Q, personId: string, departments?: string[]): Promise<Pick<LegacyAccountRow, 'department_code' | 'legacy_uid' | 'password_scheme' | 'password_retired_at' | 'uscc' | 'org_name' | 'job_id' | 'created_at'>[]> {
    let q = db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'password_scheme', 'password_retired_at', 'uscc', 'org_name', 'job_id', 'created_at'])
      .where('person_id', '=', personId)
      .orderBy('department_code')
      .orderBy('legacy_uid');
    if (departments) q = departments.length ? q.where('department_code', 'in', departments) : q.where('department_code', '=', '\u0000');
    return q.execute();
  },
  /** Which of these persons have a legacy account in one of these departments. */
  linkedPersons(db: Q, personIds: string[], departments: string[]): Promise<string[]> {
    if (!personIds.length || !departments.length) return Promise.resolve([]);
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .distinct()
      .where('person_id', 'in', personIds)
      .where('department_code', 'in', departments)
      .execute()
      .then((r) => r.map((x) => x.person_id));
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
  /** The person's links to departmental accounts (what the person may see of them). */
  linksOf(db: Q, personId: string): Promise<{ department_code: string; legacy_uid: string; created_at: Date }[]> {
    return db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'created_at'])
      .where('person_id', '=', personId)
      .orderBy('department_code')
      .orderBy('legacy_uid')
      .execute();
  },
  /**
   * Erasure of a cancelled account: its links to departmental accounts go, and so do the import
   * conflicts that hold a copy of its departmental rows. Returns how many links went.
   */
  async forgetPerson(db: Q, personId: string): Promise<number> {
    await db.deleteFrom('import_conflicts').where('person_id', '=', personId).execute();
    await db.updateTable('import_conflicts').set({ resolved_person_id: null }).where('resolved_person_id', '=', personId).execute();
    const r = await db.deleteFrom('legacy_accounts').where('person_id', '=', personId).executeTakeFirst();
    return Number(r.numDeletedRows);
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
