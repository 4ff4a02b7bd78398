// Small helpers the server-rendered pages share: a form body parser, a reader for one form field,
// and the plain error page. Each caller keeps its own bounds (body size, field length).
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { renderPage } from './views.ts';
import { localeOf } from './locale.ts';
import { tr } from '../i18n/ui.ts';

/** Parses an urlencoded form body (UTF-8) up to `formLimit` (e.g. '16kb'); other bodies are left alone. */
export function formBody(formLimit: string) {
  return bodyParser({ enableTypes: ['form'], formLimit, encoding: 'utf-8' });
}

/** One form field as a string ('' when absent or not a string), cut to `max` characters when given. */
export function formField(ctx: Context, name: string, max?: number): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  if (typeof v !== 'string') return '';
  return max === undefined ? v : v.slice(0, max);
}

/** The plain error page: the message for `code`, with `status`; `extra` adds to what the view gets (e.g. a link). */
export function messagePage(ctx: Context, status: number, code: string, extra: Record<string, unknown> = {}) {
  const locale = localeOf(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code, ...extra });
}

/** Post/redirect/get: 303 sends the browser to `to` with a GET, whatever method it came with. */
export function seeOther(ctx: Context, to: string): void {
  ctx.status = 303;
  ctx.redirect(to);
}
