// The console's persons pages: search first (by ID or mobile number), then the person (with their
// sessions for the security role), then confirmed acts (disable, enable, unlock, log out).
import { seeOther } from '../../http/forms.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { accessFor } from '../roles.ts';
import { operation } from '../api/ops/index.ts';
import { field, form, json, qs, type ConsolePages, type Page } from './console-page.ts';

const PERSON_ACTIONS = ['disable', 'enable', 'unlock', 'logout'] as const;

export function personRoutes(pages: ConsolePages, router: Router) {
  const { message, render, signedIn, csrfOk, run } = pages;

  // The search is a POST: ID and mobile numbers stay out of URLs (history, proxy and access logs).
  async function personsPage(ctx: Context, p: Page, idNumber: string, phone: string) {
    let results: unknown[] | null = null;
    if (idNumber || phone) {
      const out = await run(ctx, p, 'persons.search', { query: idNumber ? { id_number: idNumber } : { phone } });
      if (!out) return;
      results = json(out).items;
    } else if (!accessFor(p.principal.grants, operation('persons.search').roles)) {
      return message(ctx, 403, 'admin.forbidden');
    }
    render(ctx, p, 'admin-persons', { idNumber, phone, results });
  }

  router.get('/persons', async (ctx) => {
    const p = await signedIn(ctx);
    if (p) await personsPage(ctx, p, '', '');
  });

  router.post('/persons', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    await personsPage(ctx, p, field(ctx, 'id_number').trim(), field(ctx, 'phone').trim());
  });

  router.get('/persons/:sub', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'persons.get', { params: { sub: ctx.params.sub } });
    if (!out) return;
    const security = accessFor(p.principal.grants, ['security']) !== null;
    let sessions: unknown[] = [];
    if (security) {
      const s = await run(ctx, p, 'sessions.list', { params: { sub: ctx.params.sub } });
      if (!s) return;
      sessions = json(s).items;
    }
    const done = qs(ctx, 'done');
    const known = [...PERSON_ACTIONS, 'reset_mfa', 'set_level'];
    render(ctx, p, 'admin-person', { person: json(out), sessions, security, done: known.includes(done) ? `admin.done.${done}` : null });
  });

  router.get('/persons/:sub/confirm/:action', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const action = ctx.params.action;
    if (!(PERSON_ACTIONS as readonly string[]).includes(action)) return message(ctx, 404, 'not_found');
    const out = await run(ctx, p, 'persons.get', { params: { sub: ctx.params.sub } });
    if (!out) return;
    const person = json(out);
    render(ctx, p, 'admin-confirm', {
      action: `admin.action.${action}`,
      explain: `admin.confirm.${action}`,
      subject: `${person.name} · ${person.id_number ?? person.sub}`,
      post: `/admin/persons/${encodeURIComponent(ctx.params.sub)}/${action}`,
      cancel: `/admin/persons/${encodeURIComponent(ctx.params.sub)}`,
      danger: action !== 'enable' && action !== 'unlock',
    });
  });

  router.post('/persons/:sub/:action', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const action = ctx.params.action;
    if (!(PERSON_ACTIONS as readonly string[]).includes(action)) return message(ctx, 404, 'not_found');
    const out = await run(ctx, p, `persons.${action}`, { params: { sub: ctx.params.sub } });
    if (!out) return;
    seeOther(ctx, `/admin/persons/${encodeURIComponent(ctx.params.sub)}?done=${action}`);
  });
}
