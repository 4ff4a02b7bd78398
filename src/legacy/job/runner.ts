// An import job from start to finish.
//
// Batch and checkpoint protocol: source rows are read in order and cut into batches of
// profile.batch_size. Each batch is ONE transaction that writes its persons, legacy links, orgs,
// conflicts and rejections AND moves the job's checkpoint (the last source row handled) and
// counters. A process killed at any point leaves whole batches only; `import resume` re-reads the
// source, skips rows up to the checkpoint and carries on with the same batch boundaries and the
// same decisions, ending in the state an uninterrupted run reaches (the batch loop: pump.ts).
// A dry run does the same in one transaction rolled back at the end (dry-run.ts).
import crypto from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { requireDepartment } from '../../departments/service.ts';
import { AppError } from '../../errors.ts';
import { orgStore } from '../../orgs/store.ts';
import { ImportFailed } from '../errors.ts';
import type { ImportProfile } from '../profile.ts';
import { openSourceUrl } from '../secrets.ts';
import { jobStore, type JobRow, type NewJob } from '../store.ts';
import { auditCounts, emptyCounters, type ImportCounters } from './counters.ts';
import { dryRun } from './dry-run.ts';
import { asJobError } from './failures.ts';
import { fingerprintFile, prefixBeforeLine, sameFingerprint, samePrefix, type FileFingerprint } from './fingerprint.ts';
import { pump, type JobState, type PumpOptions } from './pump.ts';
import { buildReport, writeReportFile, type ImportReport, type JobError, type RunStats } from './report.ts';
import { openImportSession, type ImportSession } from './session.ts';
import { describeSource, storedProfile } from './source.ts';

export interface ImportRunOptions extends PumpOptions {
  actor: string;
  dryRun?: boolean;
  /** write the full report (every rejection and conflict) here */
  reportFile?: string;
  /** rejections and conflicts listed in the returned report (the report file lists all) */
  reportLimit?: number;
  /** the job's id, when the caller must know it before the job ends (admin imports run in the background) */
  jobId?: string;
  /** source rows counted beforehand (an uploaded file), kept with the job for progress */
  rowsTotal?: number;
  /** called once the job is recorded as running (after the lock is taken), before its first batch */
  onStarted?: (jobId: string) => void;
}

export interface ImportInput {
  department: string;
  profile: ImportProfile;
  /** the file, for csv and jsonl sources */
  file?: string;
}

function newJobState(id: string, input: ImportInput, opts: ImportRunOptions, source: string, file: string | undefined): JobState {
  return {
    id,
    department: input.department,
    profile: input.profile,
    readProfile: input.profile,
    actor: opts.actor,
    dryRun: Boolean(opts.dryRun),
    source,
    file,
    checkpoint: 0,
    counters: emptyCounters(),
  };
}

/** Starts an import job (or a dry run) and runs it to the end. */
export async function startImport(app: AppContext, input: ImportInput, opts: ImportRunOptions): Promise<ImportReport> {
  await requireDepartment(app, input.department);
  const src = await describeSource(app, input);
  const id = opts.jobId ?? crypto.randomUUID();
  const job = newJobState(id, input, opts, src.source, src.file);
  if (src.fingerprint) job.fileSize = src.fingerprint.size;
  const record: Omit<NewJob, 'status'> = {
    id,
    department_code: input.department,
    source: src.source,
    source_kind: src.kind,
    source_fingerprint: src.fingerprint as Record<string, unknown> | null,
    source_secret_enc: src.secret,
    profile: storedProfile(input.profile),
    counters: job.counters as unknown as Record<string, unknown>,
    actor: opts.actor,
    rows_total: opts.rowsTotal ?? null,
  };
  const session = await openImportSession(app);
  try {
    if (!(await session.lockDepartment(input.department))) throw new AppError('import.busy', 'conflict', input.department);
    if (job.dryRun) return await dryRun(app, session, job, record, opts);
    await app.db.transaction().execute(async (trx) => {
      await jobStore.insert(trx, { ...record, status: 'running' });
      await app.audit.append(
        { event: 'import.start', outcome: 'info', actor: opts.actor, detail: { job_id: id, department: input.department, source: src.source, source_kind: src.kind } },
        trx,
      );
    });
    opts.onStarted?.(id);
    return await runToEnd(app, session, job, opts);
  } finally {
    await session.close();
  }
}

/** Continues a job that was killed or failed, from its checkpoint, with its stored profile and source. */
export async function resumeImport(app: AppContext, jobId: string, opts: Omit<ImportRunOptions, 'dryRun'>): Promise<ImportReport> {
  const row = await jobStore.byId(app.db, jobId).catch(() => undefined);
  if (!row) throw new AppError('import.job_unknown', 'not_found', jobId);
  if (row.status !== 'running' && row.status !== 'failed') throw new AppError('import.not_resumable', 'conflict', row.status);
  const profile = row.profile as unknown as ImportProfile;
  let readProfile = profile;
  let replaced: FileFingerprint | null = null;
  if (profile.source.type === 'sql') {
    readProfile = { ...profile, source: { ...profile.source, url: openSourceUrl(app.keyring, row.source_secret_enc!) } };
  } else {
    const now = await fingerprintFile(row.source).catch(() => null);
    if (!now) throw new AppError('import.source_changed', 'conflict', row.source);
    if (!sameFingerprint(now, row.source_fingerprint as unknown as FileFingerprint)) {
      // A file fixed after the job failed on it (a truncated last row completed, a bad row
      // corrected) resumes when everything before the row that stopped it is byte for byte the
      // same: the rows up to the checkpoint are then the rows already written.
      const prefix = row.status === 'failed' ? (row.error as JobError | null)?.source_prefix : undefined;
      if (!prefix || !(await samePrefix(row.source, prefix).catch(() => false))) throw new AppError('import.source_changed', 'conflict', row.source);
      replaced = now;
    }
  }
  const session = await openImportSession(app);
  try {
    if (!(await session.lockDepartment(row.department_code))) throw new AppError('import.busy', 'conflict', row.department_code);
    const job: JobState = {
      id: row.id,
      department: row.department_code,
      profile,
      readProfile,
      actor: opts.actor,
      dryRun: false,
      source: row.source,
      file: profile.source.type === 'sql' ? undefined : row.source,
      fileSize: replaced ? replaced.size : (row.source_fingerprint as { size?: number } | null)?.size,
      checkpoint: row.checkpoint,
      counters: { ...emptyCounters(), ...(row.counters as Partial<ImportCounters>) },
    };
    await app.db.transaction().execute(async (trx) => {
      await jobStore.setStatus(trx, job.id, { status: 'running', error: null, finished_at: null });
      if (replaced) await jobStore.setFingerprint(trx, job.id, replaced as unknown as Record<string, unknown>);
      await app.audit.append(
        {
          event: 'import.resume',
          outcome: 'info',
          actor: opts.actor,
          detail: { job_id: job.id, department: job.department, checkpoint: job.checkpoint, previous_status: row.status, ...(replaced ? { source_fixed: true } : {}) },
        },
        trx,
      );
    });
    opts.onStarted?.(job.id);
    return await runToEnd(app, session, job, opts);
  } finally {
    await session.close();
  }
}

async function runToEnd(app: AppContext, session: ImportSession, job: JobState, opts: ImportRunOptions): Promise<ImportReport> {
  let stats: RunStats | null = null;
  let failure: JobError | null = null;
  try {
    stats = await pump(app, job, opts, (fn) => session.transaction(fn));
  } catch (err) {
    failure = asJobError(err, job.source);
    if (failure && job.file && failure.line !== undefined) {
      const prefix = await prefixBeforeLine(job.file, failure.line).catch(() => null);
      if (prefix) failure.source_prefix = prefix;
    }
    if (!failure) {
      // Our fault or the database's: the job stays resumable from its checkpoint.
      await finishJob(app, job, { code: 'internal', message: { zh: `内部错误：${(err as Error).message}`, en: `internal error: ${(err as Error).message}` } }, null).catch(() => {});
      throw err;
    }
  }
  const row = await finishJob(app, job, failure, stats);
  const report = await buildReport(app.db, row, stats, opts.reportLimit);
  if (opts.reportFile) await writeReportFile(app.db, row, stats, opts.reportFile);
  if (failure) throw new ImportFailed(failure.code, job.id, failure.message);
  return report;
}

async function finishJob(app: AppContext, job: JobState, failure: JobError | null, stats: RunStats | null): Promise<JobRow> {
  return app.db.transaction().execute(async (trx) => {
    // the summary of the last run; rejections and conflicts stay in their tables
    const report = { checkpoint: job.checkpoint, counts: job.counters, last_run: stats ? { rows: stats.rows, elapsed_ms: Math.round(stats.elapsed_ms) } : null };
    await jobStore.setStatus(trx, job.id, { status: failure ? 'failed' : 'done', error: failure as Record<string, unknown> | null, report, finished_at: new Date() });
    await app.audit.append(
      {
        event: failure ? 'import.fail' : 'import.finish',
        outcome: failure ? 'failure' : 'success',
        actor: job.actor,
        detail: { job_id: job.id, department: job.department, checkpoint: job.checkpoint, ...auditCounts(job.counters), ...(failure ? { error: failure.code, row: failure.row ?? null } : {}) },
      },
      trx,
    );
    return (await jobStore.byId(trx, job.id))!;
  });
}

