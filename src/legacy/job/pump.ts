// The batch loop of a run: source rows are read in order, prepared and cut into batches of
// profile.batch_size; each batch is written (writeBatch) in one transaction with the checkpoint.
// Rows up to the checkpoint are skipped, so a resumed job carries on with the same batch
// boundaries. Batch k+1 is read and prepared while batch k is being written.
import type { AppContext } from '../../context.ts';
import type { BulkTx } from '../../db/bulk.ts';
import type { ImportProfile } from '../profile.ts';
import { openReader, type ReaderItem, type SqlReaderFactory } from '../readers/index.ts';
import { openSqlReader } from '../sql-source.ts';
import type { ImportCounters } from './counters.ts';
import { createPreparer, type PreparedItem } from './prepare.ts';
import { silentProgress, type ProgressSink } from './progress.ts';
import type { RunStats } from './report.ts';
import { isRetryable, writeBatch, type BatchJob } from './write.ts';

/** A job as it runs: where its source is, how far it got, what it counted. */
export interface JobState extends BatchJob {
  source: string;
  file: string | undefined;
  /** the file's size, for progress */
  fileSize?: number;
  /** the profile with the SQL source's real URL, for opening the reader */
  readProfile: ImportProfile;
  checkpoint: number;
  counters: ImportCounters;
}

export interface PumpOptions {
  progress?: ProgressSink;
  sqlReader?: SqlReaderFactory;
}

/** Reads, prepares and writes every batch after the job's checkpoint. */
export async function pump(app: AppContext, job: JobState, opts: PumpOptions, withTx: <T>(fn: (tx: BulkTx) => Promise<T>) => Promise<T>): Promise<RunStats> {
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
