// A dry run writes every batch into one transaction that is rolled back at the end, so its report
// predicts merges and conflicts exactly; only the job record (status dry_run, with the report) is
// kept.
import type { AppContext } from '../../context.ts';
import { ImportFailed } from '../errors.ts';
import { jobStore, type JobRow, type NewJob } from '../store.ts';
import { auditCounts } from './counters.ts';
import { asJobError } from './failures.ts';
import { pump, type JobState, type PumpOptions } from './pump.ts';
import { buildReport, writeReportFile, type ImportReport, type JobError, type RunStats } from './report.ts';
import type { ImportSession } from './session.ts';

class RollBack extends Error {}

export async function dryRun(
  app: AppContext,
  session: ImportSession,
  job: JobState,
  record: Omit<NewJob, 'status'>,
  opts: PumpOptions & { reportFile?: string; reportLimit?: number },
): Promise<ImportReport> {
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
