// An import job from start to finish.
//
// Batch and checkpoint protocol: source rows are read in order and cut into batches of
// profile.batch_size. Each batch is ONE transaction that writes its persons, legacy links, orgs,
// conflicts and rejections AND moves the job's checkpoint (the last source row handled) and
// counters. A process killed at any point leaves whole batches only; `import resume` re-reads the
// source, skips rows up to the checkpoint and carries on with the same batch boundaries and the
// same decisions, ending in the state an uninterrupted run reaches. Batch k+1 is read and prepared
// while batch k is being written.
//
// A dry run writes every batch into one transaction that is rolled back at the end, so its report
// predicts merges and conflicts exactly; only the job record (status dry_run, with the report) is
// kept.
import crypto from 'node:crypto';
import path from 'node:path';
import type { AppContext } from '../../context.ts';
import { requireDepartment } from '../../departments/service.ts';
import type { BulkTx } from '../../db/bulk.ts';
import { UserError } from '../../i18n/messages.ts';
import { orgStore } from '../../orgs/store.ts';
import { ImportFailed } from '../errors.ts';
import { locate, type Bilingual } from '../messages.ts';
import type { ImportProfile } from '../profile.ts';
import { openReader, ReaderError, type ReaderItem, type SqlReaderFactory } from '../readers/index.ts';
import { openSqlReader } from '../sql-source.ts';
import { openSourceUrl, redactUrl, sealSourceUrl } from '../secrets.ts';
import { jobStore, type JobRow, type NewJob } from '../store.ts';
import { fingerprintFile, sameFingerprint, type FileFingerprint } from './fingerprint.ts';
import { emptyCounters, type ImportCounters } from './counters.ts';
import { createPreparer, type PreparedItem } from './prepare.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import { buildReport, writeReportFile, type ImportReport, type JobError, type RunStats } from './report.ts';
import { openImportSession, type ImportSession } from './session.ts';
import { isRetryable, StopImport, writeBatch, type BatchJob } from './write.ts';

export interface ImportRunOptions {
  actor: string;
  dryRun?: boolean;
  /** write the full report (every rejection and conflict) here */
  reportFile?: string;
  progress?: ProgressSink;
  sqlReader?: SqlReaderFactory;
  /** rejections and conflicts listed in the returned report (the report file lists all) */
  reportLimit?: number;
}

export interface ImportInput {
  department: string;
  profile: ImportProfile;
  /** the file, for csv and jsonl sources */
  file?: string;
}

interface JobState extends BatchJob {
  source: string;
  file: string | undefined;
  /** the file's size, for progress */
  fileSize?: number;
  /** the profile with the SQL source's real URL, for opening the reader */
  readProfile: ImportProfile;
  checkpoint: number;
  counters: ImportCounters;
}

/** The profile as stored with the job: an SQL source's password is not kept in clear. */
function storedProfile(profile: ImportProfile): Record<string, unknown> {
  if (profile.source.type !== 'sql') return profile as unknown as Record<string, unknown>;
  return { ...profile, source: { ...profile.source, url: redactUrl(profile.source.url) } };
}

function readerFailure(err: ReaderError): JobError {
  const loc = err.location;
  return {
    code: err.code,
    message: err.localized,
    ...(loc.file !== undefined ? { file: loc.file } : {}),
    ...(loc.rowNumber !== undefined ? { row: loc.rowNumber } : {}),
    ...(loc.line !== undefined ? { line: loc.line } : {}),
    ...(loc.column !== undefined ? { column: loc.column } : {}),
    ...(loc.byteOffset !== undefined ? { byte_offset: loc.byteOffset } : {}),
  };
}

function stopFailure(err: StopImport, source: string): JobError {
  const r = err.rejection;
  const where = locate({ file: source, rowNumber: r.rowNumber, line: r.line ?? undefined, column: r.column ?? undefined });
  const message: Bilingual = { zh: `${where.zh}：${r.message.zh}`, en: `${where.en}: ${r.message.en}` };
  return { code: r.code, message, file: source, row: r.rowNumber, ...(r.line !== null ? { line: r.line } : {}), ...(r.column !== null ? { column: r.column } : {}) };
}

/** Bad input that ends a job (as opposed to a fault of ours or of the database). */
function asJobError(err: unknown, source: string): JobError | null {
  if (err instanceof ReaderError) return readerFailure(err);
  if (err instanceof StopImport) return stopFailure(err, source);
  return null;
}

/** Reads, prepares and writes every batch after the job's checkpoint. */
async function pump(app: AppContext, job: JobState, opts: ImportRunOptions, withTx: <T>(fn: (tx: BulkTx) => Promise<T>) => Promise<T>): Promise<RunStats> {
  const started = performance.now();
  const runFrom = job.checkpoint;
  const progress = opts.progress ?? silentProgress;
  const reader = openReader(job.readProfile, { file: job.file, sql: opts.sqlReader ?? openSqlReader });
  if (job.fileSize !== undefined) reader.meta.totalBytes = job.fileSize;
  const prepare = createPreparer(app, job.profile, job.department);
  const size = job.profile.batch_size;
  const skipThrough = job.checkpoint;

  const write = async (pending: (PreparedItem | Promise<PreparedItem>)[], bytesRead: number | undefined) => {
    const items = await Promise.all(pending);
    const range = { from: job.checkpoint, to: items[items.length - 1].rowNumber };
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await withTx((tx) => writeBatch(app, tx, job, items, range, job.counters));
        job.checkpoint = range.to;
        job.counters = r.counters;
        break;
      } catch (err) {
        // lost a race for a new ID number or USCC with another writer: redo with fresh lookups
        if (attempt < 3 && !job.dryRun && isRetryable(err)) continue;
        throw err;
      }
    }
    progress.update({ rows: job.checkpoint, rowsThisRun: job.checkpoint - runFrom, bytesRead, totalBytes: reader.meta.totalBytes });
  };

  let batch: (PreparedItem | Promise<PreparedItem>)[] = [];
  let inflight: Promise<void> = Promise.resolve();
  let failure = null as { err: unknown } | null;
  const submit = (items: typeof batch, bytesRead: number | undefined) => {
    inflight = inflight
      .then(() => (failure ? undefined : write(items, bytesRead)))
      .catch((err: unknown) => {
        failure ??= { err };
      });
  };

  try {
    for await (const item of reader as AsyncIterable<ReaderItem>) {
      if (item.rowNumber <= skipThrough) continue;
      const prepared = prepare(item);
      if (prepared instanceof Promise) prepared.catch(() => {}); // awaited with its batch
      batch.push(prepared);
      if (batch.length >= size) {
        // at most one batch in the database while the next one is prepared
        await inflight;
        if (failure) break;
        submit(batch, reader.meta.bytesRead);
        batch = [];
      }
    }
  } catch (err) {
    // The source cannot be read on. Batches already handed over are whole: let them commit; the
    // rows read since are not written (no half batch), and the checkpoint says where it ended.
    await inflight;
    throw failure ? failure.err : err;
  }
  await inflight;
  if (failure) throw failure.err;
  if (batch.length) await write(batch, reader.meta.bytesRead);
  progress.done({ rows: job.checkpoint, rowsThisRun: job.checkpoint - runFrom, bytesRead: reader.meta.bytesRead, totalBytes: reader.meta.totalBytes });
  return { rows: job.checkpoint - runFrom, elapsed_ms: performance.now() - started };
}

function newJobState(id: string, input: ImportInput, opts: ImportRunOptions, orgs: boolean, source: string, file: string | undefined): JobState {
  return {
    id,
    department: input.department,
    profile: input.profile,
    readProfile: input.profile,
    actor: opts.actor,
    dryRun: Boolean(opts.dryRun),
    orgs,
    source,
    file,
    checkpoint: 0,
    counters: emptyCounters(),
  };
}

async function describeSource(app: AppContext, input: ImportInput): Promise<{ source: string; file?: string; fingerprint: FileFingerprint | null; secret: string | null; kind: string }> {
  const src = input.profile.source;
  if (src.type === 'sql') {
    if (input.file) throw new UserError('import.file_not_allowed');
    return { source: redactUrl(src.url), fingerprint: null, secret: sealSourceUrl(app.keyring, src.url), kind: 'sql' };
  }
  if (!input.file) throw new UserError('import.file_required');
  const file = path.resolve(input.file);
  let fingerprint: FileFingerprint;
  try {
    fingerprint = await fingerprintFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const where = locate({ file });
    throw new ImportFailed('file.unreadable', null, { zh: `${where.zh}：无法读取文件（${e.code ?? e.message}）`, en: `${where.en}: cannot read the file (${e.code ?? e.message})` });
  }
  return { source: file, file, fingerprint, secret: null, kind: src.type };
}

/** Starts an import job (or a dry run) and runs it to the end. */
export async function startImport(app: AppContext, input: ImportInput, opts: ImportRunOptions): Promise<ImportReport> {
  await requireDepartment(app, input.department);
  const src = await describeSource(app, input);
  const orgs = await orgStore.installed(app.db);
  const id = crypto.randomUUID();
  const job = newJobState(id, input, opts, orgs, src.source, src.file);
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
  };
  const session = await openImportSession(app);
  try {
    if (!(await session.lockDepartment(input.department))) throw new UserError('import.busy', 409, input.department);
    if (job.dryRun) return await dryRun(app, session, job, record, opts);
    await app.db.transaction().execute(async (trx) => {
      await jobStore.insert(trx, { ...record, status: 'running' });
      await app.audit.append(
        { event: 'import.start', outcome: 'info', actor: opts.actor, detail: { job_id: id, department: input.department, source: src.source, source_kind: src.kind } },
        trx,
      );
    });
    return await runToEnd(app, session, job, opts);
  } finally {
    await session.close();
  }
}

/** Continues a job that was killed or failed, from its checkpoint, with its stored profile and source. */
export async function resumeImport(app: AppContext, jobId: string, opts: Omit<ImportRunOptions, 'dryRun'>): Promise<ImportReport> {
  const row = await jobStore.byId(app.db, jobId).catch(() => undefined);
  if (!row) throw new UserError('import.job_unknown', 404, jobId);
  if (row.status !== 'running' && row.status !== 'failed') throw new UserError('import.not_resumable', 409, row.status);
  const profile = row.profile as unknown as ImportProfile;
  let readProfile = profile;
  if (profile.source.type === 'sql') {
    readProfile = { ...profile, source: { ...profile.source, url: openSourceUrl(app.keyring, row.source_secret_enc!) } };
  } else {
    const now = await fingerprintFile(row.source).catch(() => null);
    if (!now || !sameFingerprint(now, row.source_fingerprint as unknown as FileFingerprint)) throw new UserError('import.source_changed', 409, row.source);
  }
  const session = await openImportSession(app);
  try {
    if (!(await session.lockDepartment(row.department_code))) throw new UserError('import.busy', 409, row.department_code);
    const job: JobState = {
      id: row.id,
      department: row.department_code,
      profile,
      readProfile,
      actor: opts.actor,
      dryRun: false,
      orgs: await orgStore.installed(app.db),
      source: row.source,
      file: profile.source.type === 'sql' ? undefined : row.source,
      fileSize: (row.source_fingerprint as { size?: number } | null)?.size,
      checkpoint: row.checkpoint,
      counters: { ...emptyCounters(), ...(row.counters as Partial<ImportCounters>) },
    };
    await app.db.transaction().execute(async (trx) => {
      await jobStore.setStatus(trx, job.id, { status: 'running', error: null, finished_at: null });
      await app.audit.append(
        { event: 'import.resume', outcome: 'info', actor: opts.actor, detail: { job_id: job.id, department: job.department, checkpoint: job.checkpoint, previous_status: row.status } },
        trx,
      );
    });
    return await runToEnd(app, session, job, opts);
  } finally {
    await session.close();
  }
}

const auditCounts = (c: ImportCounters) => {
  const { warnings: _w, rejections_by_code: _r, ...numbers } = c;
  return numbers;
};

async function runToEnd(app: AppContext, session: ImportSession, job: JobState, opts: ImportRunOptions): Promise<ImportReport> {
  let stats: RunStats | null = null;
  let failure: JobError | null = null;
  try {
    stats = await pump(app, job, opts, (fn) => session.transaction(fn));
  } catch (err) {
    failure = asJobError(err, job.source);
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

class RollBack extends Error {}

async function dryRun(app: AppContext, session: ImportSession, job: JobState, record: Omit<NewJob, 'status'>, opts: ImportRunOptions): Promise<ImportReport> {
  let report: ImportReport | null = null;
  let failure: JobError | null = null;
  let stats: RunStats | null = null;
  let finalRow: JobRow | null = null;
  try {
    await session.transaction(async (tx) => {
      await jobStore.insert(tx.trx, { ...record, status: 'dry_run' });
      try {
        stats = await pump(app, job, opts, (fn) => fn(tx));
      } catch (err) {
        failure = asJobError(err, job.source);
        if (!failure) throw err;
      }
      await jobStore.setStatus(tx.trx, job.id, { status: 'dry_run', error: failure as Record<string, unknown> | null, finished_at: new Date() });
      finalRow = (await jobStore.byId(tx.trx, job.id))!;
      // The report is read inside the transaction, before everything is rolled back.
      report = await buildReport(tx.trx, finalRow, stats, opts.reportLimit);
      if (opts.reportFile) await writeReportFile(tx.trx, finalRow, stats, opts.reportFile);
      throw new RollBack();
    });
  } catch (err) {
    if (!(err instanceof RollBack)) throw err;
  }
  const done = report as ImportReport | null;
  const row = finalRow as JobRow | null;
  if (!done || !row) throw new Error('dry run ended without a report');
  // Only the record that a dry run took place survives, with its report (lists capped).
  await app.db.transaction().execute(async (trx) => {
    await jobStore.insert(trx, {
      ...record,
      status: 'dry_run',
      checkpoint: row.checkpoint,
      counters: row.counters,
      error: (row.error as Record<string, unknown> | null) ?? null,
      report: { ...done, rejections: done.rejections.slice(0, 100), conflicts: done.conflicts.slice(0, 100) } as unknown as Record<string, unknown>,
      finished_at: new Date(),
    });
    await app.audit.append(
      { event: 'import.dry_run', outcome: 'info', actor: job.actor, detail: { job_id: job.id, department: job.department, ...auditCounts(job.counters) } },
      trx,
    );
  });
  if (failure) throw new ImportFailed((failure as JobError).code, job.id, (failure as JobError).message);
  return done;
}
