// The console's apps pages: the list of clients (apps), and disabling or enabling one (asked first).
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import { form, json, qs, type ConsolePages } from './console-page.ts';

const CLIENT_ACTIONS = ['disable', 'enable'] as const;

export function clientRoutes(pages: ConsolePages, router: Router) {
  const { message, render, signedIn, csrfOk, run } = pages;

  router.get('/clients', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'clients.list', { query: { limit: '100', ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    const done = qs(ctx, 'done');
    render(ctx, p, 'admin-clients', { clients: json(out).items, next: json(out).next_cursor, done: (CLIENT_ACTIONS as readonly string[]).includes(done) ? `admin.done.client_${done}` : null });
  });

  router.get('/clients/:id/confirm/:action', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const action = ctx.params.action;
    if (!(CLIENT_ACTIONS as readonly string[]).includes(action)) return message(ctx, 404, 'not_found');
    const out = await run(ctx, p, 'clients.get', { params: { client_id: ctx.params.id } });
    if (!out) return;
    const c = json(out);
    render(ctx, p, 'admin-confirm', {
      action: `admin.action.client_${action}`,
      explain: `admin.confirm.client_${action}`,
      subject: `${c.name} · ${c.client_id}`,
      post: `/admin/clients/${encodeURIComponent(ctx.params.id)}/${action}`,
      cancel: '/admin/clients',
      danger: action === 'disable',
    });
  });

  router.post('/clients/:id/:action', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const action = ctx.params.action;
    if (!(CLIENT_ACTIONS as readonly string[]).includes(action)) return message(ctx, 404, 'not_found');
    if (!(await run(ctx, p, `clients.${action}`, { params: { client_id: ctx.params.id } }))) return;
    seeOther(ctx, `/admin/clients?done=${action}`);
  });
}
