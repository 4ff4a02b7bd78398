// The console's directory pages: departments (list, register), signing keys (list, rotate after a
// confirmation), and orgs with their agents' authorisations (find by USCC, change status and
// revoke an authorisation, each asked first).
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import { field, form, json, qs, type ConsolePages } from './console-page.ts';

const ORG_STATUSES = ['active', 'suspended', 'deregistered'] as const;

export function directoryRoutes(pages: ConsolePages, router: Router) {
  const { message, render, signedIn, csrfOk, run } = pages;

  router.get('/departments', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'departments.list', { query: { limit: '200', ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    const system = p.principal.grants.some((g) => g.role === 'system');
    render(ctx, p, 'admin-departments', { departments: json(out).items, next: json(out).next_cursor, system, done: qs(ctx, 'done') === 'create' ? 'admin.done.department_create' : null });
  });

  router.post('/departments', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'departments.create', { body: { code: field(ctx, 'code').trim(), name: field(ctx, 'name').trim() } }))) return;
    seeOther(ctx, '/admin/departments?done=create');
  });

  router.get('/keys', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'keys.list', {});
    if (!out) return;
    render(ctx, p, 'admin-keys', { keys: json(out).items, done: qs(ctx, 'done') === 'rotate' ? 'admin.done.keys_rotate' : null });
  });

  router.get('/keys/confirm/rotate', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    // the same role check as the act itself, before asking
    if (!(await run(ctx, p, 'keys.list', {}))) return;
    render(ctx, p, 'admin-confirm', { action: 'admin.action.keys_rotate', explain: 'admin.confirm.keys_rotate', subject: 'ES256 + RS256', post: '/admin/keys/rotate', cancel: '/admin/keys', danger: true });
  });

  router.post('/keys/rotate', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'keys.rotate', {}))) return;
    seeOther(ctx, '/admin/keys?done=rotate');
  });

  router.get('/orgs', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const uscc = qs(ctx, 'uscc').toUpperCase();
    const out = await run(ctx, p, 'orgs.list', { query: { limit: '100', ...(uscc ? { uscc } : {}), ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    render(ctx, p, 'admin-orgs', { orgs: json(out).items, next: json(out).next_cursor, uscc });
  });

  router.get('/orgs/:uscc', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'orgs.get', { params: { uscc: ctx.params.uscc } });
    if (!out) return;
    const done = qs(ctx, 'done');
    render(ctx, p, 'admin-org', { org: json(out), statuses: ORG_STATUSES, done: done === 'status' || done === 'revoke' ? `admin.done.org_${done}` : null });
  });

  router.get('/orgs/:uscc/confirm/status', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const status = qs(ctx, 'status');
    if (!(ORG_STATUSES as readonly string[]).includes(status)) return message(ctx, 400, 'admin.invalid_request');
    const out = await run(ctx, p, 'orgs.get', { params: { uscc: ctx.params.uscc } });
    if (!out) return;
    const uscc = encodeURIComponent(ctx.params.uscc);
    render(ctx, p, 'admin-confirm', {
      action: `admin.action.org_${status}`,
      explain: `admin.confirm.org_${status}`,
      subject: `${json(out).name} · ${json(out).uscc}`,
      post: `/admin/orgs/${uscc}/status`,
      hidden: [['status', status]],
      cancel: `/admin/orgs/${uscc}`,
      danger: status !== 'active',
    });
  });

  router.post('/orgs/:uscc/status', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'orgs.set_status', { params: { uscc: ctx.params.uscc }, body: { status: field(ctx, 'status') } }))) return;
    seeOther(ctx, `/admin/orgs/${encodeURIComponent(ctx.params.uscc)}?done=status`);
  });

  router.get('/orgs/:uscc/authorizations/:id/confirm', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'orgs.get', { params: { uscc: ctx.params.uscc } });
    if (!out) return;
    const a = (json(out).authorizations as { id: string; name: string; id_number: string }[]).find((x) => x.id === ctx.params.id);
    if (!a) return message(ctx, 404, 'admin.not_found');
    const uscc = encodeURIComponent(ctx.params.uscc);
    render(ctx, p, 'admin-confirm', {
      action: 'admin.action.authorization_revoke',
      explain: 'admin.confirm.authorization_revoke',
      subject: `${json(out).name} · ${a.name} ${a.id_number}`,
      post: `/admin/orgs/${uscc}/authorizations/${encodeURIComponent(a.id)}/revoke`,
      cancel: `/admin/orgs/${uscc}`,
      danger: true,
    });
  });

  router.post('/orgs/:uscc/authorizations/:id/revoke', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'orgs.revoke_authorization', { params: { uscc: ctx.params.uscc, authorization_id: ctx.params.id } }))) return;
    seeOther(ctx, `/admin/orgs/${encodeURIComponent(ctx.params.uscc)}?done=revoke`);
  });
}
