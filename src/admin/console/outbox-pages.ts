// The console's logout outbox page: back-channel logout deliveries by status, and retrying one.
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import { form, json, qs, type ConsolePages } from './console-page.ts';

export function outboxRoutes(pages: ConsolePages, router: Router) {
  const { render, signedIn, csrfOk, run } = pages;

  router.get('/outbox', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const status = qs(ctx, 'status');
    const out = await run(ctx, p, 'outbox.list', { query: { limit: '100', ...(status ? { status } : {}), ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    render(ctx, p, 'admin-outbox', { deliveries: json(out).items, next: json(out).next_cursor, status, done: qs(ctx, 'done') === 'retry' ? 'admin.done.retry' : null });
  });

  router.post('/outbox/:id/retry', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'outbox.retry', { params: { delivery_id: ctx.params.id } }))) return;
    seeOther(ctx, '/admin/outbox?done=retry');
  });
}
