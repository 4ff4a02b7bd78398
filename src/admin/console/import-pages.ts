// The console's import pages: the jobs with the form that starts one from an uploaded file
// (multipart; the CSRF token travels in the form), a job's page with its progress (reloaded every
// 2 s by <meta http-equiv="refresh"> while it runs: no script under the CSP) and report, resume
// (asked first), and the review queue with merge / keep apart / swap (asked first).
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { accessFor } from '../roles.ts';
import { operation } from '../api/ops/index.ts';
import { discardUpload, readUpload } from '../api/upload.ts';
import { toAdminError } from '../api/invoke.ts';
import type { Multipart } from '../../http/multipart.ts';
import { localeOf } from '../../http/locale.ts';
import { tr } from '../../i18n/ui.ts';
import { form, json, qs, type ConsolePages, type Page } from './console-page.ts';

const DECISIONS = ['merge', 'keep_apart', 'swap'] as const;
const isDecision = (d: string): d is (typeof DECISIONS)[number] => (DECISIONS as readonly string[]).includes(d);

export function importRoutes(pages: ConsolePages, router: Router) {
  const { app, message, render, signedIn, csrfOk, run } = pages;

  async function importsPage(ctx: Context, p: Page, input: { department?: string; profile?: string } = {}) {
    const out = await run(ctx, p, 'imports.list', { query: { limit: '50', ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    const jobs = json(out).items as { department: string }[];
    const own = p.principal.grants.filter((g) => g.role === 'department').map((g) => g.department);
    render(ctx, p, 'admin-imports', { jobs, next: json(out).next_cursor, department: input.department ?? (own.length === 1 ? own[0] : ''), profile: input.profile ?? '' });
  }

  router.get('/imports', async (ctx) => {
    const p = await signedIn(ctx);
    if (p) await importsPage(ctx, p);
  });

  router.post('/imports', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    // a role that may not import uploads nothing
    if (!accessFor(p.principal.grants, operation('imports.start').roles)) return message(ctx, 403, 'admin.forbidden');
    let upload: Multipart | null = null;
    try {
      upload = await readUpload(app, ctx);
      const { csrf, ...fields } = upload.fields;
      if (!csrfOk(ctx, p, csrf ?? '')) return;
      // the console's form always sends both profile fields; the one left empty is not chosen
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''));
      if (fields.dry_run === 'on') body.dry_run = 'true';
      const out = await run(ctx, p, 'imports.start', { body, upload: upload.file ?? undefined });
      if (!out) return;
      seeOther(ctx, `/admin/imports/${json(out).job_id}`);
    } catch (err) {
      const e = toAdminError(err);
      message(ctx, e.status, e.code, { link: { href: '/admin/imports', label: tr(localeOf(ctx), 'admin.back') } });
    } finally {
      await discardUpload(upload);
    }
  });

  router.get('/imports/:id', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const progress = await run(ctx, p, 'imports.progress', { params: { job_id: ctx.params.id } });
    if (!progress) return;
    const report = await run(ctx, p, 'imports.get', { params: { job_id: ctx.params.id }, query: { limit: '50' } });
    if (!report) return;
    const pr = json(progress);
    const live = pr.status === 'running' && !pr.stalled;
    render(ctx, p, 'admin-import', { progress: pr, report: json(report), refresh: live ? 2 : null, done: qs(ctx, 'done') === 'resume' ? 'admin.done.resume' : null });
  });

  router.get('/imports/:id/confirm/resume', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'imports.progress', { params: { job_id: ctx.params.id } });
    if (!out) return;
    const id = encodeURIComponent(ctx.params.id);
    render(ctx, p, 'admin-confirm', { action: 'admin.action.resume', explain: 'admin.confirm.resume', subject: `${json(out).department} · ${json(out).job_id}`, post: `/admin/imports/${id}/resume`, cancel: `/admin/imports/${id}` });
  });

  router.post('/imports/:id/resume', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'imports.resume', { params: { job_id: ctx.params.id } }))) return;
    seeOther(ctx, `/admin/imports/${encodeURIComponent(ctx.params.id)}?done=resume`);
  });

  router.get('/conflicts', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const status = qs(ctx, 'status') || 'pending';
    const jobId = qs(ctx, 'job_id');
    const out = await run(ctx, p, 'conflicts.list', { query: { status, limit: '100', ...(jobId ? { job_id: jobId } : {}), ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    const done = qs(ctx, 'done');
    render(ctx, p, 'admin-conflicts', { conflicts: json(out).items, next: json(out).next_cursor, status, jobId, done: isDecision(done) ? `admin.done.${done}` : null });
  });

  router.get('/conflicts/:id/confirm/:decision', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const decision = ctx.params.decision;
    if (!isDecision(decision)) return message(ctx, 404, 'not_found');
    const id = encodeURIComponent(ctx.params.id);
    render(ctx, p, 'admin-confirm', {
      action: `admin.action.${decision}`,
      explain: `admin.confirm.${decision}`,
      subject: ctx.params.id,
      post: `/admin/conflicts/${id}/${decision}`,
      cancel: '/admin/conflicts',
      danger: decision === 'swap',
    });
  });

  router.post('/conflicts/:id/:decision', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const decision = ctx.params.decision;
    if (!isDecision(decision)) return message(ctx, 404, 'not_found');
    if (!(await run(ctx, p, 'conflicts.decide', { params: { conflict_id: ctx.params.id }, body: { decision } }))) return;
    seeOther(ctx, `/admin/conflicts?done=${decision}`);
  });
}
