// The console's security acts on a person: reset MFA (the reason is asked on the confirmation
// page) and set the real-name level (the form's level is confirmed first; the level the page showed
// travels along, so a change made meanwhile is refused as stale). Registered before the generic
// person actions of person-pages.ts.
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import { field, form, json, type ConsolePages } from './console-page.ts';

export function personSecurityRoutes(pages: ConsolePages, router: Router) {
  const { message, render, signedIn, csrfOk, run } = pages;
  const back = (sub: string) => `/admin/persons/${encodeURIComponent(sub)}`;

  router.get('/persons/:sub/confirm/reset-mfa', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'persons.get', { params: { sub: ctx.params.sub } });
    if (!out) return;
    const person = json(out);
    render(ctx, p, 'admin-confirm', {
      action: 'admin.action.reset_mfa',
      explain: 'admin.confirm.reset_mfa',
      subject: `${person.name} · ${person.id_number ?? person.sub}`,
      post: `${back(ctx.params.sub)}/reset-mfa`,
      cancel: back(ctx.params.sub),
      reason: true,
      danger: true,
    });
  });

  router.post('/persons/:sub/reset-mfa', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    if (!(await run(ctx, p, 'persons.reset_mfa', { params: { sub: ctx.params.sub }, body: { reason: field(ctx, 'reason', 400) } }))) return;
    seeOther(ctx, `${back(ctx.params.sub)}?done=reset_mfa`);
  });

  // the level form posts here: a confirmation page, nothing changed yet
  router.post('/persons/:sub/level/confirm', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const out = await run(ctx, p, 'persons.get', { params: { sub: ctx.params.sub } });
    if (!out) return;
    const person = json(out);
    const level = field(ctx, 'level', 2);
    if (!/^[1-4]$/.test(level)) return message(ctx, 400, 'person.real_name_level');
    const down = Number(level) < person.real_name_level;
    render(ctx, p, 'admin-confirm', {
      action: 'admin.action.set_level',
      explain: down ? 'admin.confirm.level_down' : 'admin.confirm.level',
      subject: `${person.name} · ${person.id_number ?? person.sub} · ${person.real_name_level} → ${level}`,
      post: `${back(ctx.params.sub)}/level`,
      hidden: [['level', level], ['from_level', String(person.real_name_level)], ['note', field(ctx, 'note', 500)]],
      cancel: back(ctx.params.sub),
      danger: down,
    });
  });

  router.post('/persons/:sub/level', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const note = field(ctx, 'note', 500).trim();
    const body = { level: Number(field(ctx, 'level', 2)), from_level: Number(field(ctx, 'from_level', 2)), method: 'counter', ...(note ? { note } : {}) };
    if (!(await run(ctx, p, 'persons.set_level', { params: { sub: ctx.params.sub }, body }))) return;
    seeOther(ctx, `${back(ctx.params.sub)}?done=set_level`);
  });
}
