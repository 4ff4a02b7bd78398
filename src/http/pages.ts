// Pages that belong to no flow: the landing page at / and the page for addresses nobody serves.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { HomeLink } from '../feature.ts';
import { renderPage } from './views.ts';
import { localeOf } from './locale.ts';
import { tr } from '../i18n/ui.ts';

export function homeRouter(links: HomeLink[]): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage('home', locale, { links: links.map((l) => ({ href: l.href, label: tr(locale, l.label) })) });
  });
  return router;
}

/** 404: a page with a way on for browsers, an error object for JSON clients. */
export function notFound(ctx: Context) {
  ctx.status = 404;
  ctx.set('cache-control', 'no-store');
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: 'not_found', error_description: tr('en', 'not_found') };
    return;
  }
  ctx.type = 'html';
  ctx.body = renderPage('not-found', localeOf(ctx), {});
}
