// The admin console (/admin): server-rendered pages over the admin operations (the same role
// checks, validation and audit as the API: api/invoke.ts), zh-CN first with an English switch, no
// script at all (the strict CSP allows none), CSRF tokens on every form, and a confirmation page
// before every destructive act. Handlers are thin: map the form to an operation, render its answer.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import type { ClientRules } from '../../clients/service.ts';
import { renderPage } from '../../http/views.ts';
import { localeOf } from '../../http/locale.ts';
import { tr } from '../../i18n/ui.ts';
import { safeEqual } from '../../crypto/keyring.ts';
import { logger } from '../../log.ts';
import { authenticate, type Principal } from '../auth.ts';
import { accessFor, type Role } from '../roles.ts';
import { operation } from '../api/ops/index.ts';
import { invoke, toAdminError, type Outcome } from '../api/invoke.ts';
import { csvLines } from '../api/router.ts';
import { CALLBACK_PATH, clearSession, completeSignIn, csrfFor, sessionToken, setSession, signInRedirect } from './signin.ts';

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'admin.css'));
const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

interface Page {
  principal: Principal;
  csrf: string;
}

const PERSON_ACTIONS = ['disable', 'enable', 'unlock', 'logout'] as const;
const CLIENT_ACTIONS = ['disable', 'enable'] as const;

const field = (ctx: Context, name: string) => {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};
const qs = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim() : '');

export function consoleRouter(app: AppContext, getProvider: () => Provider, rules: () => ClientRules): Router {
  const router = new Router({ prefix: '/admin' });

  function message(ctx: Context, status: number, code: string, extra: Record<string, unknown> = {}) {
    const locale = localeOf(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = renderPage('admin-message', locale, { heading: tr(locale, status < 400 ? 'admin.title' : 'error.heading'), message: tr(locale, code), code: status < 400 ? null : code, nav: null, ...extra });
  }

  function render(ctx: Context, p: Page, view: string, data: Record<string, unknown>) {
    const locale = localeOf(ctx);
    const roles = p.principal.grants;
    const can = (allowed: readonly Role[]) => accessFor(roles, allowed) !== null;
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, {
      ...data,
      csrf: p.csrf,
      who: p.principal.displayName,
      roles: roles.map((g) => tr(locale, `admin.role.${g.role}`) + (g.department ? ` (${g.department})` : '')),
      nav: {
        persons: can(['security', 'department']),
        clients: can(['system', 'department']),
        outbox: can(['system', 'security', 'department']),
        audit: can(['audit']),
      },
      current: ctx.path,
    }, ctx.url);
  }

  /** The signed-in administrator, or null after answering (GET: to sign-in and back). */
  async function signedIn(ctx: Context): Promise<Page | null> {
    ctx.set('cache-control', 'no-store');
    const who = await authenticate(app, getProvider(), sessionToken(ctx));
    if (who.ok && who.principal.kind === 'person') {
      if (!who.principal.grants.length) {
        message(ctx, 403, 'admin.no_role');
        return null;
      }
      return { principal: who.principal, csrf: csrfFor(app, who.principal.tokenId) };
    }
    if (!who.ok && who.code === 'admin.acr_too_weak') {
      clearSession(app, ctx);
      message(ctx, 403, 'admin.acr_too_weak', { next: tr(localeOf(ctx), 'admin.acr_help') });
      return null;
    }
    if (ctx.method === 'GET') {
      ctx.status = 303;
      ctx.redirect(`/admin/login?next=${encodeURIComponent(ctx.url)}`);
    } else message(ctx, 401, 'admin.unauthorized', { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.sign_in_again') } });
    return null;
  }

  function csrfOk(ctx: Context, p: Page): boolean {
    const sent = field(ctx, 'csrf');
    if (sent && safeEqual(sent, p.csrf)) return true;
    message(ctx, 403, 'csrf.invalid');
    return false;
  }

  /** Runs an operation for the page's administrator; an error becomes the answer (and null). */
  async function run(ctx: Context, p: Page, opId: string, call: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown }): Promise<Outcome | null> {
    try {
      return await invoke(app, getProvider(), p.principal, operation(opId), { params: call.params ?? {}, query: call.query ?? {}, body: call.body }, { locale: localeOf(ctx), ip: ctx.ip || null, via: 'console', path: ctx.path, rules });
    } catch (err) {
      const e = toAdminError(err);
      if (e.status >= 500) logger.error({ err: (err as Error).message, path: ctx.path }, 'admin console error');
      message(ctx, e.status, e.code, { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.back') } });
      return null;
    }
  }
  const json = (o: Outcome) => ('body' in o ? (o.body as Record<string, any>) : {});

  router.get('/assets/admin.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

  router.get('/login', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.status = 303;
    ctx.redirect(await signInRedirect(app, ctx, qs(ctx, 'next') || '/admin'));
  });

  router.get(CALLBACK_PATH.slice('/admin'.length), async (ctx) => {
    ctx.set('cache-control', 'no-store');
    const r = await completeSignIn(app, getProvider(), ctx);
    if (!r.ok) return message(ctx, 400, r.message, { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.sign_in_again') } });
    const who = r.who;
    const audit = (outcome: 'success' | 'denied', reason?: string) =>
      app.audit.append({ event: 'admin.console.sign_in', outcome, actor: who.ok ? who.principal.actor : (who.actor ?? null), clientId: who.ok ? who.principal.clientId : null, ip: ctx.ip || null, detail: reason ? { reason } : {} });
    if (!who.ok) {
      await audit('denied', who.code);
      return message(ctx, 403, who.code, who.code === 'admin.acr_too_weak' ? { next: tr(localeOf(ctx), 'admin.acr_help') } : {});
    }
    if (!who.principal.grants.length) {
      await audit('denied', 'no_role');
      return message(ctx, 403, 'admin.no_role');
    }
    await audit('success');
    setSession(app, ctx, r.token, r.maxAgeMs);
    ctx.status = 303;
    ctx.redirect(r.next);
  });

  router.post('/logout', form, async (ctx) => {
    const p = await signedIn(ctx);
    if (!p || !csrfOk(ctx, p)) return;
    const token = await getProvider().AccessToken.find(sessionToken(ctx) ?? '');
    await token?.destroy();
    clearSession(app, ctx);
    await app.audit.append({ event: 'admin.console.sign_out', outcome: 'success', actor: p.principal.actor, clientId: p.principal.clientId, ip: ctx.ip || null });
    message(ctx, 200, 'admin.signed_out', { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.sign_in_again') } });
  });

  router.get('/', async (ctx) => {
    const p = await signedIn(ctx);
    if (p) render(ctx, p, 'admin-home', {});
  });

  // ---- persons: search first, then the person, then confirmed acts

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
    render(ctx, p, 'admin-person', { person: json(out), sessions, security, done: (PERSON_ACTIONS as readonly string[]).includes(done) ? `admin.done.${done}` : null });
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
    ctx.status = 303;
    ctx.redirect(`/admin/persons/${encodeURIComponent(ctx.params.sub)}?done=${action}`);
  });

  // ---- apps

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
    ctx.status = 303;
    ctx.redirect(`/admin/clients?done=${action}`);
  });

  // ---- logout outbox

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
    ctx.status = 303;
    ctx.redirect('/admin/outbox?done=retry');
  });

  // ---- audit log

  const auditFilters = (ctx: Context) => {
    const f: Record<string, string> = {};
    for (const k of ['event', 'outcome', 'since', 'until']) if (qs(ctx, k)) f[k] = qs(ctx, k);
    return f;
  };

  router.get('/audit', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const filters = auditFilters(ctx);
    const out = await run(ctx, p, 'audit.list', { query: { ...filters, limit: '100', ...(qs(ctx, 'cursor') ? { cursor: qs(ctx, 'cursor') } : {}) } });
    if (!out) return;
    let verified: unknown = null;
    if (qs(ctx, 'verify') === '1') {
      const v = await run(ctx, p, 'audit.verify', {});
      if (!v) return;
      verified = json(v);
    }
    const records = (json(out).items as { detail: unknown }[]).map((r) => ({ ...r, detailText: JSON.stringify(r.detail) }));
    render(ctx, p, 'admin-audit', { records, filters, next: json(out).next_cursor, exportHref: `/admin/audit/export.csv?${new URLSearchParams(filters)}`, verified });
  });

  router.get('/audit/export.csv', async (ctx) => {
    const p = await signedIn(ctx);
    if (!p) return;
    const out = await run(ctx, p, 'audit.export', { query: auditFilters(ctx) });
    if (!out || !('csv' in out)) return;
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('content-disposition', `attachment; filename="${out.csv.filename}"`);
    ctx.body = Readable.from(csvLines(out.csv.header, out.csv.rows));
  });

  return router;
}

