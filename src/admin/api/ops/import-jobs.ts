// Starting, following and resuming import jobs (security administrators for every department, a
// department administrator for its own: another department's jobs answer 404, and starting one
// for another department is a 404 for that department).
import { z } from 'zod';
import { jobStore, type JobRow } from '../../../legacy/store.ts';
import { parseProfile, type ImportProfile } from '../../../legacy/profile.ts';
import { resumeInBackground, rowsIn, runningHere, startUploadedImport } from '../../imports.ts';
import { reaches } from '../../roles.ts';
import { AdminError, notFound, op, type OpContext } from '../op.ts';
import { DepartmentCode, iso, Timestamp, Uuid } from '../schemas.ts';

/** A running job with no progress for this long, and not running on this node, is shown as stalled. */
const STALLED_MS = 120_000;

const Progress = z
  .object({
    job_id: z.string(),
    department: z.string(),
    status: z.enum(['running', 'done', 'failed', 'dry_run']),
    rows_done: z.int().describe('source rows committed (the checkpoint)'),
    rows_total: z.int().nullable().describe('rows counted in the uploaded file (line-based: a quoted field spanning lines counts twice); null for a CLI import'),
    percent: z.number().nullable(),
    running_here: z.boolean().describe('this node is running the job now'),
    stalled: z.boolean().describe('running, but no progress for 2 minutes and not running on this node: resume it'),
    last_progress_at: Timestamp,
    finished_at: Timestamp.nullable(),
    error: z.object({ code: z.string(), message: z.object({ zh: z.string(), en: z.string() }) }).nullable(),
  })
  .meta({ id: 'ImportProgress' });

export function progressOf(job: JobRow) {
  const total = job.rows_total;
  const done = job.status === 'done';
  const here = runningHere(job.id);
  const error = job.error as { code?: string; message?: { zh: string; en: string } } | null;
  return {
    job_id: job.id,
    department: job.department_code,
    status: job.status,
    rows_done: job.checkpoint,
    rows_total: total,
    percent: done ? 100 : total ? Math.min(100, Math.round((job.checkpoint / total) * 1000) / 10) : null,
    running_here: here,
    stalled: job.status === 'running' && !here && Date.now() - new Date(job.updated_at).getTime() > STALLED_MS,
    last_progress_at: iso(job.updated_at)!,
    finished_at: iso(job.finished_at),
    error: error?.code && error.message ? { code: error.code, message: error.message } : null,
  };
}

async function visibleJob(c: OpContext, jobId: string): Promise<JobRow> {
  c.target = { type: 'import_job', id: jobId };
  const job = await jobStore.byId(c.app.db, jobId);
  if (!job || !reaches(c.access, job.department_code)) throw notFound();
  return job;
}

/** The profile: pasted JSON, or the one an earlier job (the caller can see) ran with. */
async function chosenProfile(c: OpContext, body: { profile?: string; profile_job?: string }): Promise<ImportProfile> {
  if (Boolean(body.profile) === Boolean(body.profile_job)) throw new AdminError('admin.profile_one', 'invalid_input');
  let raw: unknown;
  if (body.profile_job) raw = (await visibleJob(c, body.profile_job)).profile;
  else {
    try {
      raw = JSON.parse(body.profile!);
    } catch {
      throw new AdminError('admin.profile_json', 'invalid_input');
    }
  }
  const r = parseProfile(raw);
  if (!r.ok) throw new AdminError('import.profile_invalid', 'invalid_input', r.issues.slice(0, 20).map((i) => ({ path: ['profile', ...i.path].join('.'), message: `${i.zh} / ${i.en}` })));
  if (r.profile.source.type === 'sql') throw new AdminError('admin.profile_sql', 'invalid_input');
  return r.profile;
}

export const importJobOps = [
  op({
    id: 'imports.start',
    method: 'post',
    path: '/imports',
    tag: 'imports',
    summary: 'Start an import from an uploaded file (CSV or JSON Lines) with a profile',
    description:
      'multipart/form-data: `file` (at most ADMIN_UPLOAD_MAX_MB), `department`, and either `profile` (the profile as JSON text, see src/legacy/README.md) or `profile_job` (reuse the profile of an earlier job). ' +
      'Answers 202 once the job runs (follow it at /imports/{job_id}/progress); `dry_run=true` answers when the dry run is over, with its report.',
    roles: ['security', 'department'],
    status: 202,
    upload: { description: 'the legacy user table: CSV (UTF-8 or GBK) or JSON Lines, as the profile says' },
    body: z.strictObject({
      department: DepartmentCode,
      profile: z.string().max(64 * 1024).optional(),
      profile_job: Uuid.optional(),
      dry_run: z.enum(['true', 'false']).default('false'),
    }),
    response: z.object({ job_id: z.string(), department: z.string(), status: z.string(), rows_total: z.int(), report: z.record(z.string(), z.unknown()).nullable() }),
    errors: [404, 409, 413, 415, 422],
    async run(c, { body, upload }) {
      c.target = { type: 'department', id: body.department };
      if (!reaches(c.access, body.department)) throw notFound();
      const profile = await chosenProfile(c, body);
      const rowsTotal = rowsIn(upload!, profile.source.type);
      const r = await startUploadedImport(c.app, { department: body.department, profile, file: upload!, rowsTotal, dryRun: body.dry_run === 'true', actor: c.principal.actor });
      c.target = { type: 'import_job', id: r.jobId };
      return {
        job_id: r.jobId,
        department: body.department,
        status: r.report ? r.report.status : 'running',
        rows_total: rowsTotal,
        report: r.report as unknown as Record<string, unknown> | null,
      };
    },
  }),

  op({
    id: 'imports.progress',
    method: 'get',
    path: '/imports/{job_id}/progress',
    tag: 'imports',
    summary: 'An import job’s progress: rows done of the total, its state',
    roles: ['security', 'department'],
    params: z.strictObject({ job_id: Uuid }),
    response: Progress,
    errors: [404],
    run: async (c, { params }) => progressOf(await visibleJob(c, params.job_id)),
  }),

  op({
    id: 'imports.resume',
    method: 'post',
    path: '/imports/{job_id}/resume',
    tag: 'imports',
    summary: 'Resume an interrupted or failed import job from its checkpoint',
    description: 'The job’s file must be unchanged (an uploaded file stays in the upload directory until its job is done). Answers 202 once it runs again.',
    roles: ['security', 'department'],
    status: 202,
    params: z.strictObject({ job_id: Uuid }),
    response: Progress,
    errors: [404, 409],
    async run(c, { params }) {
      const job = await visibleJob(c, params.job_id);
      await resumeInBackground(c.app, job, c.principal.actor);
      return progressOf((await jobStore.byId(c.app.db, job.id))!);
    },
  }),
];
