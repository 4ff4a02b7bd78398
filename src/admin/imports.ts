// Import jobs started from the admin API or console: the uploaded file is kept in the upload
// directory under the job's id (resume re-reads it, and refuses it changed, as for the CLI), the job
// runs in this server's process in the background (as a command hosted from the CLI does,
// cli/host.ts), and the call answers as soon as the job is recorded as running. Errors before that
// (unknown department, another import of the department running, an unreadable file) are the
// call's answer; errors after it are the job's (status failed, its report says why).
//
// A job that finished (done) no longer needs its file: it is removed, as is a dry run's. A failed
// or interrupted job keeps it for resume.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { logger } from '../log.ts';
import type { UploadedFile } from '../http/multipart.ts';
import type { ImportProfile } from '../legacy/profile.ts';
import { ImportFailed } from '../legacy/errors.ts';
import { resumeImport, startImport } from '../legacy/job/runner.ts';
import type { ImportReport } from '../legacy/job/report.ts';
import { jobStore, type JobRow } from '../legacy/store.ts';
import { uploadDir } from './api/upload.ts';

/** Jobs this process is running now, by id. */
const running = new Map<string, Promise<void>>();

export const runningHere = (jobId: string) => running.has(jobId);

/** Every import this process runs, finished (for an orderly shutdown and for tests). */
export const importsSettled = () => Promise.all([...running.values()]).then(() => undefined);

/** Rows in an uploaded file, from its line feeds: a CSV's header is not a row; a JSON Lines file has none. */
export function rowsIn(file: UploadedFile, kind: string): number {
  const lines = file.lineFeeds + (file.size && !file.endsWithNewline ? 1 : 0);
  return kind === 'csv' ? Math.max(0, lines - 1) : lines;
}

const isUpload = (app: AppContext, file: string) => path.dirname(path.resolve(file)) === path.resolve(uploadDir(app));

/** Runs `work` in the background; resolves once the job is recorded as running, rejects if it never is. */
function inBackground(jobId: string, work: (onStarted: () => void) => Promise<ImportReport>, files: { onDone: string | null; unlessStarted: string | null }): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = false;
    const settled = work(() => {
      started = true;
      resolve();
    })
      .then(async (report) => {
        if (report.status === 'done' && files.onDone) await fs.rm(files.onDone, { force: true });
      })
      .catch(async (err: unknown) => {
        if (!started) {
          if (files.unlessStarted) await fs.rm(files.unlessStarted, { force: true }).catch(() => {});
          return reject(err);
        }
        // recorded on the job (status failed, with its error) unless the database itself failed
        if (err instanceof ImportFailed) logger.info({ job: jobId, code: err.code }, 'admin import stopped');
        else logger.error({ job: jobId, err: (err as Error).message }, 'admin import failed');
      })
      .finally(() => running.delete(jobId));
    running.set(jobId, settled);
  });
}

export interface UploadedImport {
  department: string;
  profile: ImportProfile;
  file: UploadedFile;
  rowsTotal: number;
  dryRun: boolean;
  actor: string;
}

/** Starts an import of an uploaded file. A dry run is awaited and answers with its report. */
export async function startUploadedImport(app: AppContext, input: UploadedImport): Promise<{ jobId: string; report: ImportReport | null }> {
  const jobId = crypto.randomUUID();
  const ext = input.profile.source.type === 'jsonl' ? '.jsonl' : '.csv';
  const file = path.join(uploadDir(app), `${jobId}${ext}`);
  await fs.rename(input.file.path, file);
  const task = { department: input.department, profile: input.profile, file };
  if (input.dryRun) {
    try {
      return { jobId, report: await startImport(app, task, { actor: input.actor, dryRun: true, jobId, reportLimit: 100 }) };
    } catch (err) {
      // a dry run that met a bad row has its report, error included, on the job record
      const row = err instanceof ImportFailed && err.jobId ? await jobStore.byId(app.db, err.jobId) : undefined;
      if (row?.report) return { jobId, report: row.report as unknown as ImportReport };
      throw err;
    } finally {
      await fs.rm(file, { force: true });
    }
  }
  await inBackground(jobId, (onStarted) => startImport(app, task, { actor: input.actor, jobId, rowsTotal: input.rowsTotal, onStarted }), { onDone: file, unlessStarted: file });
  return { jobId, report: null };
}

/** Resumes a job in the background, from its checkpoint (its file must still be where it was). */
export async function resumeInBackground(app: AppContext, job: JobRow, actor: string): Promise<void> {
  if (runningHere(job.id)) throw new AppError('import.busy', 'conflict', job.department_code);
  const file = job.source_kind !== 'sql' && isUpload(app, job.source) ? job.source : null;
  await inBackground(job.id, (onStarted) => resumeImport(app, job.id, { actor, onStarted }), { onDone: file, unlessStarted: null });
}
