// What every admin console page shares: the signed-in administrator (or the way to sign in), the
// console layout (who, roles, the navigation their roles allow), the message page, the CSRF check
// on every form, and running an admin operation with its error as the answer.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import type { ClientRules } from '../../clients/service.ts';
import { renderPage } from '../../http/views.ts';
import { localeOf } from '../../http/locale.ts';
import { formBody, formField, seeOther } from '../../http/forms.ts';
import { tr } from '../../i18n/ui.ts';
import { formatDay, formatTime } from '../../i18n/time.ts';
import { safeEqual } from '../../crypto/keyring.ts';
import { logger } from '../../log.ts';
import { authenticate, type Principal } from '../auth.ts';
import { accessFor, type Role } from '../roles.ts';
import { operation } from '../api/ops/index.ts';
import { invoke, toAdminError, type Outcome } from '../api/invoke.ts';
import { clearSession, csrfFor, sessionToken } from './signin.ts';
import type { UploadedFile } from '../../http/multipart.ts';

export const form = formBody('16kb');

export interface Page {
  principal: Principal;
  csrf: string;
}

export const field = (ctx: Context, name: string, max?: number) => formField(ctx, name, max);
export const qs = (ctx: Context, name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string).trim() : '');

/** An operation's JSON answer (empty for a CSV one). */
export const json = (o: Outcome) => ('body' in o ? (o.body as Record<string, any>) : {});

export function consolePages(app: AppContext, getProvider: () => Provider, rules: () => ClientRules) {
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
        departments: can(['system', 'department']),
        orgs: can(['security']),
        imports: can(['security', 'department']),
        keys: can(['system']),
        roles: can(['security']),
        outbox: can(['system', 'security', 'department']),
        audit: can(['audit']),
      },
      current: ctx.path,
      // the API answers with ISO instants; people read Beijing time
      time: (v: string | null, seconds = false) => formatTime(v, seconds) ?? '-',
      day: (v: string | null) => formatDay(v) ?? '-',
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
      seeOther(ctx, `/admin/login?next=${encodeURIComponent(ctx.url)}`);
    } else message(ctx, 401, 'admin.unauthorized', { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.sign_in_again') } });
    return null;
  }

  /** The form's CSRF token matches this sign-in's (`sent`: read from a multipart form already). */
  function csrfOk(ctx: Context, p: Page, sent = field(ctx, 'csrf')): boolean {
    if (sent && safeEqual(sent, p.csrf)) return true;
    message(ctx, 403, 'csrf.invalid');
    return false;
  }

  /** Runs an operation for the page's administrator; an error becomes the answer (and null). */
  async function run(ctx: Context, p: Page, opId: string, call: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; upload?: UploadedFile }): Promise<Outcome | null> {
    try {
      return await invoke(app, getProvider(), p.principal, operation(opId), { params: call.params ?? {}, query: call.query ?? {}, body: call.body, upload: call.upload }, { locale: localeOf(ctx), ip: ctx.ip || null, via: 'console', path: ctx.path, rules });
    } catch (err) {
      const e = toAdminError(err);
      if (e.status >= 500) logger.error({ err: (err as Error).message, path: ctx.path }, 'admin console error');
      message(ctx, e.status, e.code, { link: { href: '/admin', label: tr(localeOf(ctx), 'admin.back') } });
      return null;
    }
  }

  return { app, message, render, signedIn, csrfOk, run };
}

export type ConsolePages = ReturnType<typeof consolePages>;
