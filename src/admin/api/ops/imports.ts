// Import jobs and the review queue: security administrators see every department's, a department
// administrator its own (another department's jobs and conflicts answer 404).
import { z } from 'zod';
import { jobStore, conflictStore } from '../../../legacy/store.ts';
import { buildReport, conflictEntry, type ImportReport } from '../../../legacy/job/report.ts';
import { resolveConflict } from '../../../legacy/conflicts.ts';
import { notFound, op } from '../op.ts';
import { Cursor, decodeCursor, DepartmentCode, iso, Limit, nextCursor, page, Timestamp, Uuid } from '../schemas.ts';
import { reaches, type Access } from '../../roles.ts';

const Bilingual = z.object({ zh: z.string(), en: z.string() });

const JobView = z
  .object({
    job_id: z.string(),
    department: z.string(),
    status: z.string(),
    source: z.string(),
    checkpoint: z.int().describe('the last source row committed'),
    rows_total: z.int().nullable().describe('rows counted in an uploaded file; null for a CLI import'),
    counts: z.record(z.string(), z.unknown()),
    actor: z.string(),
    started_at: Timestamp,
    last_progress_at: Timestamp,
    finished_at: Timestamp.nullable(),
  })
  .meta({ id: 'ImportJob' });

const ConflictView = z
  .object({
    id: z.string(),
    job_id: z.string(),
    department: z.string(),
    row: z.int(),
    legacy_uid: z.string(),
    code: z.string(),
    column: z.string().nullable(),
    reason: Bilingual,
    values: z.record(z.string(), z.string()).describe('masked'),
    status: z.string(),
    created_at: Timestamp,
    decided_by: z.string().nullable(),
    decided_at: Timestamp.nullable(),
  })
  .meta({ id: 'Conflict' });

/** Department filter for a list: the caller's departments, narrowed by ?department= */
function departmentsFor(access: Access, asked: string | undefined): string[] | undefined {
  if (access.all) return asked ? [asked] : undefined;
  return asked ? access.departments.filter((d) => d === asked) : access.departments;
}

const JobCursor = z.object({ s: z.string(), i: Uuid });
const ConflictCursor = z.object({ c: z.string(), i: Uuid });

export const importOps = [
  op({
    id: 'imports.list',
    method: 'get',
    path: '/imports',
    tag: 'imports',
    summary: 'Import jobs, newest first',
    roles: ['security', 'department'],
    query: z.strictObject({ department: DepartmentCode.optional(), status: z.enum(['running', 'done', 'failed', 'dry_run']).optional(), limit: Limit, cursor: Cursor }),
    response: page(JobView),
    async run(c, { query }) {
      const after = decodeCursor(query.cursor, JobCursor);
      const rows = await jobStore.page(
        c.app.db,
        { departments: departmentsFor(c.access, query.department), status: query.status },
        after ? { startedAt: new Date(after.s), id: after.i } : null,
        query.limit,
      );
      return {
        items: rows.map((j) => ({
          job_id: j.id,
          department: j.department_code,
          status: j.status,
          source: j.source,
          checkpoint: j.checkpoint,
          rows_total: j.rows_total,
          counts: j.counters,
          actor: j.actor,
          started_at: iso(j.started_at)!,
          last_progress_at: iso(j.updated_at)!,
          finished_at: iso(j.finished_at),
        })),
        next_cursor: nextCursor(rows, query.limit, (j) => ({ s: iso(j.started_at), i: j.id })),
      };
    },
  }),

  op({
    id: 'imports.get',
    method: 'get',
    path: '/imports/{job_id}',
    tag: 'imports',
    summary: 'An import job’s report: counts, the error that stopped it, rejections and conflicts (masked)',
    roles: ['security', 'department'],
    params: z.strictObject({ job_id: Uuid }),
    query: z.strictObject({ limit: z.coerce.number().int().min(0).max(1000).default(100).describe('rejections and conflicts listed') }),
    response: z.record(z.string(), z.unknown()).describe('the import report (same shape as `yitong import show --json`)'),
    errors: [404],
    async run(c, { params, query }) {
      c.target = { type: 'import_job', id: params.job_id };
      const job = await jobStore.byId(c.app.db, params.job_id);
      if (!job || !reaches(c.access, job.department_code)) throw notFound();
      const report: ImportReport = job.status === 'dry_run' && job.report ? (job.report as unknown as ImportReport) : await buildReport(c.app.db, job, null, query.limit);
      return report as unknown as Record<string, unknown>;
    },
  }),

  op({
    id: 'conflicts.list',
    method: 'get',
    path: '/conflicts',
    tag: 'imports',
    summary: 'The review queue (pending by default)',
    roles: ['security', 'department'],
    query: z.strictObject({
      status: z.enum(['pending', 'merged', 'kept_apart', 'swapped', 'all']).default('pending'),
      job_id: Uuid.optional(),
      department: DepartmentCode.optional(),
      limit: Limit,
      cursor: Cursor,
    }),
    response: page(ConflictView),
    async run(c, { query }) {
      const after = decodeCursor(query.cursor, ConflictCursor);
      const rows = await conflictStore.pageBy(
        c.app.db,
        { jobId: query.job_id, departments: departmentsFor(c.access, query.department), status: query.status === 'all' ? undefined : query.status },
        after ? { createdAt: new Date(after.c), id: after.i } : null,
        query.limit,
      );
      return {
        items: rows.map((r) => ({
          ...conflictEntry(r),
          job_id: r.job_id,
          department: r.department_code,
          created_at: iso(r.created_at)!,
          decided_by: r.decided_by,
          decided_at: iso(r.decided_at),
        })),
        next_cursor: nextCursor(rows, query.limit, (r) => ({ c: iso(r.created_at), i: r.id })),
      };
    },
  }),

  op({
    id: 'conflicts.decide',
    method: 'post',
    path: '/conflicts/{conflict_id}/decision',
    tag: 'imports',
    summary: 'Decide a conflict: merge the legacy account into the person on record, keep it apart, or swap',
    description:
      '`swap`: the queued row is the genuine holder of the ID number; the person on record keeps its sub and ID number, takes the row’s name and contact data, and the links it had move to an account of their own (refused with 409 once the person on record has signed in). See src/legacy/README.md.',
    roles: ['security', 'department'],
    params: z.strictObject({ conflict_id: Uuid }),
    body: z.strictObject({ decision: z.enum(['merge', 'keep_apart', 'swap']) }),
    response: z.object({
      conflict_id: z.string(),
      status: z.string(),
      department: z.string(),
      legacy_uid: z.string(),
      sub: z.string(),
      kept_apart: z.object({ sub: z.string(), links: z.array(z.string()) }).optional().describe('swap: the account the earlier links moved to'),
    }),
    errors: [404, 409],
    async run(c, { params, body }) {
      c.target = { type: 'conflict', id: params.conflict_id };
      const conflict = await conflictStore.byId(c.app.db, params.conflict_id);
      if (!conflict || !reaches(c.access, conflict.department_code)) throw notFound();
      return { ...(await resolveConflict(c.app, params.conflict_id, body.decision, c.principal.actor)) };
    },
  }),
];
