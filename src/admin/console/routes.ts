// The admin console (/admin): server-rendered pages over the admin operations (the same role
// checks, validation and audit as the API: api/invoke.ts), zh-CN first with an English switch, no
// script at all (the strict CSP allows none), CSRF tokens on every form, and a confirmation page
// before every destructive act. Handlers are thin: map the form to an operation, render its answer.
//
// This file has sign-in, sign-out and the home page, and puts the rest together: persons
// (person-pages.ts, person-security-pages.ts), apps (client-pages.ts), the logout outbox
// (outbox-pages.ts), the audit log (audit-pages.ts), imports and the review queue
// (import-pages.ts), departments, keys and orgs (directory-pages.ts) and admin roles
// (role-pages.ts), all on what console-page.ts shares.
import { seeOther } from '../../http/forms.ts';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import type { ClientRules } from '../../clients/service.ts';
import { localeOf } from '../../http/locale.ts';
import { tr } from '../../i18n/ui.ts';
import { CALLBACK_PATH, clearSession, completeSignIn, sessionToken, setSession, signInRedirect } from './signin.ts';
import { consolePages, form, qs } from './console-page.ts';
import { personRoutes } from './person-pages.ts';
import { clientRoutes } from './client-pages.ts';
import { outboxRoutes } from './outbox-pages.ts';
import { auditRoutes } from './audit-pages.ts';
import { importRoutes } from './import-pages.ts';
import { directoryRoutes } from './directory-pages.ts';
import { roleRoutes } from './role-pages.ts';
import { personSecurityRoutes } from './person-security-pages.ts';

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'admin.css'));

export function consoleRouter(app: AppContext, getProvider: () => Provider, rules: () => ClientRules): Router {
  const router = new Router({ prefix: '/admin' });
  const pages = consolePages(app, getProvider, rules);
  const { message, render, signedIn, csrfOk } = pages;

  router.get('/assets/admin.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

  router.get('/login', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    seeOther(ctx, await signInRedirect(app, ctx, qs(ctx, 'next') || '/admin'));
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
    seeOther(ctx, r.next);
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

  personSecurityRoutes(pages, router); // before personRoutes' generic /persons/:sub/:action
  personRoutes(pages, router);
  clientRoutes(pages, router);
  outboxRoutes(pages, router);
  auditRoutes(pages, router);
  importRoutes(pages, router);
  directoryRoutes(pages, router);
  roleRoutes(pages, router);
  return router;
}
