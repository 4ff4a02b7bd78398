// The admin API over HTTP: /admin/api/v1/... Bearer tokens (auth.ts), JSON bodies of at most
// 64 KiB, errors as {error, message} in the caller's language, never a stack trace. Routes come
// from the operations list; the OpenAPI document at /admin/api/v1/openapi.json is generated from
// the same list.
import { Readable } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { pickLocale, t, type Locale } from '../../i18n/messages.ts';
import { logger } from '../../log.ts';
import type { ClientRules } from '../../clients/service.ts';
import { authenticate } from '../auth.ts';
import { accessFor } from '../roles.ts';
import { AdminError, type Operation } from './op.ts';
import { auditRefusal, invoke, toAdminError } from './invoke.ts';
import { API_BASE, openApiDocument } from './openapi.ts';
import { discardUpload, readUpload } from './upload.ts';
import type { Multipart } from '../../http/multipart.ts';

export const BODY_LIMIT = 64 * 1024;

function apiLocale(ctx: Context): Locale {
  const q = ctx.query.lang;
  if (q === 'en' || q === 'zh-CN') return q;
  return pickLocale(undefined, undefined, ctx.get('accept-language'));
}

function sendError(ctx: Context, e: AdminError) {
  ctx.status = e.status;
  ctx.type = 'application/json';
  const body: Record<string, unknown> = { error: e.code, message: t(apiLocale(ctx), e.code) };
  if (Array.isArray(e.details)) body.details = e.details;
  if (e.status === 401) ctx.set('www-authenticate', `Bearer realm="yitong-admin"${e.code === 'admin.unauthorized' ? ', error="invalid_token"' : ''}`);
  ctx.body = body;
}

/** The JSON body, or an error for a body that is too large, not JSON, or not declared as JSON. */
async function readJson(ctx: Context): Promise<unknown> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > BODY_LIMIT) throw new AdminError('admin.payload_too_large', 'too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new AdminError('admin.payload_too_large', 'too_large');
    chunks.push(chunk);
  }
  if (!size) return undefined;
  if (!ctx.is('application/json')) throw new AdminError('admin.unsupported_media_type', 'unsupported');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AdminError('admin.malformed_json', 'invalid_input');
  }
}

interface Route {
  op: Operation;
  pattern: RegExp;
  names: string[];
}

function compile(op: Operation): Route {
  const names: string[] = [];
  const source = op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, n: string) => {
    names.push(n);
    return '([^/]+)';
  });
  return { op, pattern: new RegExp(`^${source}$`), names };
}

/** Where a request goes: the operation and its path parameters, or 404/405. */
function match(routes: Route[], method: string, path: string): { op: Operation; params: Record<string, string> } {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.op.method !== method.toLowerCase()) continue;
    const params: Record<string, string> = {};
    try {
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    } catch {
      throw new AdminError('admin.invalid_request', 'invalid_input');
    }
    return { op: r.op, params };
  }
  throw pathMatched ? new AdminError('admin.method_not_allowed', 'method_not_allowed') : new AdminError('admin.not_found', 'not_found');
}

function csvCell(v: string): string {
  // a leading = + - @ would be a formula in a spreadsheet: keep it text
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export async function* csvLines(header: string[], rows: AsyncIterable<string[]>): AsyncGenerator<string> {
  yield `\uFEFF${header.map(csvCell).join(',')}\r\n`;
  for await (const row of rows) yield `${row.map(csvCell).join(',')}\r\n`;
}

export function adminApiRouter(app: AppContext, getProvider: () => Provider, rules: () => ClientRules, operations: Operation[]): Router {
  const router = new Router({ prefix: API_BASE });
  const routes = operations.map(compile);
  let document: Record<string, unknown> | undefined;

  router.get('/openapi.json', (ctx) => {
    ctx.set('cache-control', 'no-cache');
    ctx.body = document ??= openApiDocument(app.config.issuer, operations);
  });

  router.all('{/*rest}', async (ctx) => {
    ctx.set('cache-control', 'no-store');
    const ip = ctx.ip || null;
    let upload: Multipart | null = null;
    try {
      const sub = ctx.path.slice(API_BASE.length) || '/';
      const { op, params } = match(routes, ctx.method === 'HEAD' ? 'GET' : ctx.method, sub);
      const auth = ctx.get('authorization');
      const bearer = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
      const who = await authenticate(app, getProvider(), bearer);
      if (!who.ok) {
        await auditRefusal(app, { actor: who.actor, clientId: who.clientId, ip, detail: { operation: op.id, method: ctx.method, path: ctx.path.slice(0, 300), status: who.code === 'admin.acr_too_weak' ? 403 : 401, error: who.code } });
        throw new AdminError(who.code, who.code === 'admin.acr_too_weak' ? 'forbidden' : 'unauthorized');
      }
      let body: unknown;
      if (op.upload) {
        // a caller the operation refuses uploads nothing (invoke answers 403, audited)
        if (accessFor(who.principal.grants, op.roles)) {
          upload = await readUpload(app, ctx);
          body = upload.fields;
        }
      } else body = await readJson(ctx);
      const { lang: _lang, ...query } = ctx.query;
      const out = await invoke(app, getProvider(), who.principal, op, { params, query, body, upload: upload?.file ?? undefined }, { locale: apiLocale(ctx), ip, via: 'api', path: ctx.path, rules });
      ctx.status = out.status;
      if ('csv' in out) {
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('content-disposition', `attachment; filename="${out.csv.filename}"`);
        ctx.body = Readable.from(csvLines(out.csv.header, out.csv.rows));
      } else {
        ctx.type = 'application/json';
        ctx.body = out.body;
      }
    } catch (err) {
      const e = toAdminError(err);
      if (e.status >= 500) logger.error({ err: (e.cause as Error | undefined)?.message ?? (err as Error).message, stack: (err as Error).stack, path: ctx.path }, 'admin api error');
      if (e.status === 503) ctx.set('retry-after', '5');
      sendError(ctx, e);
    } finally {
      await discardUpload(upload);
    }
  });
  return router;
}
