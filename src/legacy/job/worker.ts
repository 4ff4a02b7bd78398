// `yitong import` runs its job in a worker thread with a heap of its own, limited in size. A bulk
// import allocates fast; left to V8's defaults on a large machine the young generation alone grows
// to hundreds of MB. The limits keep the process's peak memory bounded (the batch size sets the
// live data; the limits scale with it) whatever the size of the source. The worker opens its own
// database connections; the main thread opens none while it runs (the embedded database allows
// one opener) and only relays progress and the result.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from '../../config/env.ts';
import type { AppContext } from '../../context.ts';
import { AppError, type ErrorKind } from '../../errors.ts';
import { DataDirInUseError } from '../../db/dir-lock.ts';
import type { ImportProfile } from '../profile.ts';
import type { ProgressSink, ProgressState } from './progress.ts';
import type { ImportReport } from './report.ts';

export type WorkerTask =
  | { kind: 'start'; department: string; profile: ImportProfile; file?: string; dryRun: boolean; reportFile?: string; actor: string }
  | { kind: 'resume'; jobId: string; reportFile?: string; actor: string };

type Message =
  | { type: 'progress'; state: ProgressState; final: boolean }
  | { type: 'done'; report: ImportReport }
  | { type: 'error'; error: { known: boolean; code?: string; kind?: ErrorKind; message: string } };

/** Heap limits for a batch size: room for two batches in flight beside the worker's own code. */
export function heapLimits(batchSize: number): { maxYoungGenerationSizeMb: number; maxOldGenerationSizeMb: number } {
  return { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: Math.ceil(64 + (batchSize * 6) / 1024) };
}

/** Runs the task in a worker; resolves with its report or rejects with its (user-facing) error. */
export function runImportInWorker(config: Config, task: WorkerTask, progress: ProgressSink, batchSize: number): Promise<ImportReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { config, task }, resourceLimits: heapLimits(batchSize) });
    let settled = false;
    worker.on('message', (m: Message) => {
      if (m.type === 'progress') (m.final ? progress.done : progress.update)(m.state);
      else if (m.type === 'done') {
        settled = true;
        resolve(m.report);
      } else {
        settled = true;
        const e = m.error;
        if (!e.known) return reject(new Error(e.message));
        const err = new AppError(e.code ?? 'import.failed', e.kind ?? 'invalid_input');
        err.message = e.message;
        reject(err);
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`import worker exited (${code})`));
    });
  });
}

/** Runs the task on an open app: in the worker, or in a server that hosts the command (cli/host.ts). */
export async function runImportTask(app: AppContext, task: WorkerTask, progress: ProgressSink): Promise<ImportReport> {
  const runner = await import('./runner.ts');
  return task.kind === 'start'
    ? runner.startImport(app, { department: task.department, profile: task.profile, file: task.file }, { actor: task.actor, dryRun: task.dryRun, reportFile: task.reportFile, progress })
    : runner.resumeImport(app, task.jobId, { actor: task.actor, reportFile: task.reportFile, progress });
}

async function work(): Promise<void> {
  const { config, task } = workerData as { config: Config; task: WorkerTask };
  const post = (m: Message) => parentPort!.postMessage(m);
  const { openApp, CryptoMismatchError } = await import('../../bootstrap.ts');
  const progress: ProgressSink = {
    update: (state) => post({ type: 'progress', state, final: false }),
    done: (state) => post({ type: 'progress', state, final: true }),
  };
  try {
    const opened = await openApp(config, { poolSize: 2 });
    try {
      post({ type: 'done', report: await runImportTask(opened.app, task, progress) });
    } finally {
      await opened.close();
    }
  } catch (err) {
    const e = err as Error & { code?: string; kind?: ErrorKind };
    // the codes the CLI gives these errors in the main thread (cli/main.ts)
    const code = err instanceof DataDirInUseError ? 'data_dir.in_use' : err instanceof CryptoMismatchError ? err.code : e.code;
    const known = err instanceof AppError || err instanceof DataDirInUseError || err instanceof CryptoMismatchError;
    post({ type: 'error', error: { known, code, kind: e.kind, message: e.message } });
  }
}

if (!isMainThread && (workerData as { task?: unknown } | null)?.task) await work();
