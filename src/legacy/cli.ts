// `yitong import ...` (contract in DESIGN.md): run, resume and list import jobs, show a job's report,
// and work through the review queue. Progress goes to stderr; --json prints one object on stdout.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, one } from '../cli/io.ts';
import { AppError } from '../errors.ts';
import { listConflicts, resolveConflict } from './conflicts.ts';
import { buildReport, writeReportFile, type ImportReport } from './job/report.ts';
import { createProgress, silentProgress } from './job/progress.ts';
import { runImportInWorker, runImportTask, type WorkerTask } from './job/worker.ts';
import type { CliEnv } from '../cli/commands.ts';
import { formatProfileIssues, loadProfile } from './profile.ts';
import { jobStore } from './store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const optionalPath = (env: CliEnv, p: string | undefined) => (p === undefined ? undefined : env.path(p));

function positiveInt(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliUsageError(`--${name}: 应为正整数 / expected a positive integer, got ${v}`);
  return Number(v);
}

/** Progress on stderr: a bar on a terminal, else a line every --progress-interval seconds (default 5). */
function progressFor(env: CliEnv, v: Record<string, unknown>) {
  if (v.quiet) return silentProgress;
  const raw = one(v, 'progress-interval', false);
  if (raw !== undefined && !/^\d+(\.\d+)?$/.test(raw)) throw new CliUsageError(`--progress-interval: 应为秒数 / expected seconds, got ${raw}`);
  return createProgress(env.io.stderr, { label: 'import', plainEveryMs: raw === undefined ? undefined : Number(raw) * 1000 });
}

/**
 * In a worker of its own with bounded memory; in the server's process when the server hosts the
 * command (embedded database: the worker could not open it).
 */
function runImport(env: CliEnv, task: WorkerTask, progress: ReturnType<typeof progressFor>, batchSize: number): Promise<ImportReport> {
  return env.hosted ? runImportTask(env.hosted, task, progress) : runImportInWorker(env.config, task, progress, batchSize);
}

const progressOptions = { quiet: { type: 'boolean' }, 'progress-interval': { type: 'string' } } as const;

function summary(r: ImportReport): string {
  const c = r.counts;
  const lines = [
    `${r.dry_run ? '试运行 / dry run' : '导入任务 / import job'} ${r.job_id} (${r.department}): ${r.status}`,
    `  rows read ${c.rows_read}; persons created ${c.persons_created}, merged into existing ${c.persons_merged}, unverified accounts ${c.unverified_accounts}`,
    `  legacy accounts linked ${c.accounts_linked}, already linked ${c.accounts_unchanged}, awaiting review ${c.in_review}`,
    `  orgs created ${c.orgs_created}, linked ${c.orgs_linked}, not registered ${c.orgs_unregistered}`,
    `  rejected ${c.rejected}, conflicts ${c.conflicts}`,
  ];
  if (r.ambiguous_login_names) {
    lines.push(`  ${r.ambiguous_login_names} login names are shared by different persons: those sign in by ID number, mobile or e-mail, not ${r.department}/name`);
  }
  if (r.run) lines.push(`  ${r.run.rows} rows in ${(r.run.elapsed_ms / 1000).toFixed(1)} s (${r.run.rows_per_second} rows/s)`);
  for (const x of r.rejections.slice(0, 20)) lines.push(`  row ${x.row}${x.column ? ` [${x.column}]` : ''} ${x.code}: ${x.reason.zh} / ${x.reason.en}`);
  if (r.rejections_total > 20) lines.push(`  ... ${r.rejections_total - 20} more rejections (--report FILE lists all)`);
  for (const x of r.conflicts.slice(0, 20)) lines.push(`  conflict ${x.id} row ${x.row}: ${x.reason.zh} / ${x.reason.en}`);
  return lines.join('\n');
}

export const legacyCommands: Record<string, Command> = {
  'import': {
    summary: { 'zh-CN': '导入部门原系统账号', en: 'import a department’s legacy accounts' },
    usage:
      'yitong import FILE --department CODE --profile PROFILE.json [--dry-run] [--report OUT.json] [--quiet] [--progress-interval SECONDS]   (an SQL source takes no FILE)',
    options: { department: { type: 'string' }, profile: { type: 'string' }, 'dry-run': { type: 'boolean' }, report: { type: 'string' }, ...progressOptions },
    async run(env, v, positionals) {
      if (positionals.length > 1) throw new CliUsageError('一次导入一个文件 / import one file at a time');
      const department = one(v, 'department')!;
      const profileFile = env.path(one(v, 'profile')!);
      const loaded = await loadProfile(profileFile);
      if (!loaded.ok) throw new AppError('import.profile_invalid', 'invalid_input', `\n${formatProfileIssues(loaded.issues, profileFile)}`);
      const report = await runImport(
        env,
        { kind: 'start', department, profile: loaded.profile, file: positionals[0] === undefined ? undefined : env.path(positionals[0]), dryRun: Boolean(v['dry-run']), reportFile: optionalPath(env, one(v, 'report', false)), actor: env.actor },
        progressFor(env, v),
        loaded.profile.batch_size,
      );
      return { json: report as unknown as Record<string, unknown>, text: summary(report) };
  },
  },

  'import resume': {

    summary: { 'zh-CN': '继续中断的导入任务', en: 'resume an interrupted import' },
    usage: 'yitong import resume JOB_ID [--report OUT.json] [--quiet] [--progress-interval SECONDS]',
    options: { report: { type: 'string' }, ...progressOptions },
    async run(env, v, positionals) {
      const id = positionals[0];
      if (!id || positionals.length > 1) throw new CliUsageError('usage: yitong import resume JOB_ID');
      if (!UUID.test(id)) throw new AppError('import.job_unknown', 'not_found', id);
      const progress = progressFor(env, v);
      // the job's batch size sets the worker's memory; the database is closed again before it starts
      const job = await withApp(env, (app) => jobStore.byId(app.db, id));
      if (!job) throw new AppError('import.job_unknown', 'not_found', id);
      const batchSize = (job.profile as { batch_size?: number }).batch_size ?? 1000;
      const report = await runImport(env, { kind: 'resume', jobId: id, reportFile: optionalPath(env, one(v, 'report', false)), actor: env.actor }, progress, batchSize);
      return { json: report as unknown as Record<string, unknown>, text: summary(report) };
  },
  },

  'import jobs': {

    summary: { 'zh-CN': '列出导入任务', en: 'list import jobs' },
    usage: 'yitong import jobs [--department CODE] [--limit N]',
    options: { department: { type: 'string' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const rows = await jobStore.list(app.db, { department: one(v, 'department', false), limit: positiveInt(one(v, 'limit', false), 'limit', 50) });
        const jobs = rows.map((j) => ({
          job_id: j.id,
          department: j.department_code,
          status: j.status,
          source: j.source,
          checkpoint: j.checkpoint,
          counts: j.counters,
          actor: j.actor,
          started_at: new Date(j.started_at).toISOString(),
          last_progress_at: new Date(j.updated_at).toISOString(),
          finished_at: j.finished_at ? new Date(j.finished_at).toISOString() : null,
          error: j.error,
        }));
        const text = jobs.map((j) => `${j.job_id}\t${j.department}\t${j.status}\trows ${j.checkpoint}\t${j.started_at}\t${j.source}`).join('\n') || '(none)';
        return { json: { jobs }, text };
      }),
  },

  'import show': {

    summary: { 'zh-CN': '查看导入任务报告', en: 'show an import job’s report' },
    usage: 'yitong import show JOB_ID [--report OUT.json]',
    options: { report: { type: 'string' } },
    async run(env, v, positionals) {
      const id = positionals[0];
      if (!id || !UUID.test(id)) throw new AppError('import.job_unknown', 'not_found', id);
      return withApp(env, async (app) => {
        const job = await jobStore.byId(app.db, id);
        if (!job) throw new AppError('import.job_unknown', 'not_found', id);
        // A dry run's rows were rolled back: its stored report is all there is.
        const report = job.status === 'dry_run' && job.report ? (job.report as unknown as ImportReport) : await buildReport(app.db, job, null);
        const file = optionalPath(env, one(v, 'report', false));
        if (file && job.status !== 'dry_run') await writeReportFile(app.db, job, null, file);
        return { json: report as unknown as Record<string, unknown>, text: summary(report) };
      });
  },
  },

  'import conflicts': {

    summary: { 'zh-CN': '查看待审核记录', en: 'list records awaiting review' },
    usage: 'yitong import conflicts [--job JOB_ID] [--all] [--reveal] [--limit N]',
    options: { job: { type: 'string' }, all: { type: 'boolean' }, reveal: { type: 'boolean' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const jobId = one(v, 'job', false);
        if (jobId && !UUID.test(jobId)) throw new AppError('import.job_unknown', 'not_found', jobId);
        const conflicts = await listConflicts(
          app,
          { jobId, all: Boolean(v.all), limit: positiveInt(one(v, 'limit', false), 'limit', 100) },
          { reveal: Boolean(v.reveal), actor: env.actor },
        );
        const text =
          conflicts
            .map((c) => {
              const names = c.revealed ? `${c.revealed.name_in_row ?? '-'} vs ${c.revealed.name_on_record}` : `${c.values.name_in_row ?? '-'} vs ${c.values.name_on_record ?? '-'}`;
              return `${c.id}\t${c.status}\t${c.department}/${c.legacy_uid}\trow ${c.row}\t${c.values.id_number ?? '-'}\t${names}`;
            })
            .join('\n') || '(none)';
        return { json: { conflicts }, text };
      }),
  },

  'import resolve': {

    summary: { 'zh-CN': '审核一条待审核记录', en: 'decide a record awaiting review' },
    usage: 'yitong import resolve CONFLICT_ID --merge|--keep-apart|--swap',
    options: { merge: { type: 'boolean' }, 'keep-apart': { type: 'boolean' }, swap: { type: 'boolean' } },
    async run(env, v, positionals) {
      const id = positionals[0];
      if (!id || positionals.length > 1) throw new CliUsageError('usage: yitong import resolve CONFLICT_ID --merge|--keep-apart|--swap');
      if ([v.merge, v['keep-apart'], v.swap].filter(Boolean).length !== 1) throw new AppError('import.decision_required');
      return withApp(env, async (app) => {
        const r = await resolveConflict(app, id, v.merge ? 'merge' : v.swap ? 'swap' : 'keep_apart', env.actor);
        const apart = r.kept_apart ? `; kept apart: ${r.kept_apart.links.join(', ')} -> sub ${r.kept_apart.sub}` : '';
        return { json: r as unknown as Record<string, unknown>, text: `${r.conflict_id}: ${r.status} (${r.department}/${r.legacy_uid} -> sub ${r.sub})${apart}` };
      });
  },
  },
};
