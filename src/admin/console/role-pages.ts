// The console's administrator roles page (security administrators): every grant, granting a role
// to a person found by ID number, and revoking one after a confirmation. The API's rules hold
// (admin-roles ops): never one's own roles, ADMIN_ROLE_EXCLUSIONS, audited.
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import { field, form, json, qs, type ConsolePages } from './console-page.ts';

export function roleRoutes(pages: ConsolePages, router: Router) {
  const { message, render, signedIn, csrfOk, run } = pages;

  router.get('/roles', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'admin_roles.list', {});
    if (!out) return;
    const done = qs(ctx, 'done');
    render(ctx, p, 'admin-roles', { grants: json(out).items, me: p.principal.actor, done: done === 'grant' || done === 'revoke' ? `admin.done.role_${done}` : null });
  });

  // The holder is named by ID number (posted, like the person search) and found through the search operation.
  router.post('/roles', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const found = await run(ctx, p, 'persons.search', { query: { id_number: field(ctx, 'id_number', 64).trim() } });
    if (!found) return;
    const person = (json(found).items as { sub: string }[])[0];
    if (!person) return message(ctx, 404, 'admin.persons.none');
    const department = field(ctx, 'department', 32).trim();
    if (!(await run(ctx, p, 'admin_roles.grant', { body: { sub: person.sub, role: field(ctx, 'role', 32), ...(department ? { department } : {}) } }))) return;
    seeOther(ctx, '/admin/roles?done=grant');
  });

  router.get('/roles/:id/confirm', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'admin_roles.list', {});
    if (!out) return;
    const g = (json(out).items as { id: string; role: string; department: string | null; holder: { name: string; id_number?: string; client_id?: string } }[]).find((x) => x.id === ctx.params.id);
    if (!g) return message(ctx, 404, 'admin.not_found');
    render(ctx, p, 'admin-confirm', {
      action: 'admin.action.role_revoke',
      explain: 'admin.confirm.role_revoke',
      subject: `${g.holder.name} ${g.holder.id_number ?? g.holder.client_id ?? ''} · ${g.role}${g.department ? ` (${g.department})` : ''}`,
      post: `/admin/roles/${encodeURIComponent(g.id)}/revoke`,
      cancel: '/admin/roles',
      danger: true,
    });
  });

  router.post('/roles/:id/revoke', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'admin_roles.revoke', { params: { grant_id: ctx.params.id } }))) return;
    seeOther(ctx, '/admin/roles?done=revoke');
  });
}
