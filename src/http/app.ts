// The HTTP application: cross-cutting middleware, operations endpoints, interaction pages, and
// oidc-provider for every protocol route.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { securityHeaders } from './security-headers.ts';
import { inRequestScope } from './request-scope.ts';
import { requestEdge } from './edge.ts';
import { httpDuration, registry, routeGroup } from './metrics.ts';
import { pageSettings, renderPage } from './views.ts';
import { homeRouter, notFound } from './pages.ts';
import { localeOf } from './locale.ts';
import { tr } from '../i18n/ui.ts';
import { AppError } from '../errors.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { interactionRouter } from '../interactions/routes.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import { logger } from '../log.ts';
import type { Feature } from '../feature.ts';
import { loginMethods } from '../interactions/authenticate.ts';
import { postBindingRouter } from '../oidc/post-binding.ts';
import { selfServiceRouter } from '../selfservice/portal.ts';

const css = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../assets/app.css'));

export interface HttpDeps {
  app: AppContext;
  getProvider: () => Provider;
  throttle: LoginThrottle;
  ping: () => Promise<boolean>;
  /** what the features add: prompt pages, login methods, routers (self-service pages, admin API) */
  features: Feature[];
  /** true once shutdown has begun: /readyz answers 503 so the load balancer stops sending */
  draining?: () => boolean;
}

function errorPage(ctx: Koa.Context, status: number, code: string) {
  ctx.status = status;
  if (ctx.accepts('html', 'json') === 'json') {
    ctx.body = { error: code, error_description: tr('en', code) };
    return;
  }
  const locale = localeOf(ctx);
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code });
}

export function createHttpApp(deps: HttpDeps): Koa {
  const { app, getProvider } = deps;
  // With N trusted hops koa reads X-Forwarded-Host/-Proto and keeps the last N X-Forwarded-For
  // entries, whose first is what the outermost trusted proxy appended (oidc-provider: provider.ts).
  const hops = app.config.trustProxyHops;
  const koa = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  koa.silent = true;

  // Outermost: metrics and access log.
  koa.use(async (ctx, next) => {
    const end = httpDuration.startTimer();
    const started = Date.now();
    try {
      await next();
    } finally {
      end({ route: routeGroup(ctx.path), status: `${Math.floor(ctx.status / 100)}xx` });
      logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Date.now() - started }, 'request');
    }
  });

  // Errors: a clear page or JSON, never a stack trace.
  koa.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; code?: string; type?: string; message?: string; stack?: string; error?: string };
      if (err instanceof AppError) return errorPage(ctx, err.status, err.code);
      // The adapter already turned an outage inside oidc-provider calls into temporarily_unavailable.
      if (isDatabaseUnavailable(err) || e.error === 'temporarily_unavailable') {
        logger.warn({ err: e.message, path: ctx.path }, 'database unavailable');
        ctx.set('retry-after', '5');
        return errorPage(ctx, 503, 'db.unavailable');
      }
      if (e.status === 413 || e.type === 'entity.too.large') return errorPage(ctx, 413, 'request.too_large');
      if (e.status && e.status >= 400 && e.status < 500) return errorPage(ctx, e.status, e.status === 404 ? 'not_found' : 'request.malformed');
      logger.error({ err: e.message, stack: e.stack, path: ctx.path }, 'unhandled error');
      return errorPage(ctx, 500, 'server_error');
    }
  });

  koa.use(securityHeaders(app.config.issuer.startsWith('https:')));
  koa.use(pageSettings({ footer: app.config.footer }));
  koa.use(requestEdge(hops));

  const ops = new Router();
  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  ops.get('/readyz', async (ctx) => {
    if (deps.draining?.()) {
      ctx.status = 503;
      ctx.body = { status: 'shutting down' };
      return;
    }
    const ok = await deps.ping();
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'database unavailable' };
  });
  ops.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  ops.get('/assets/app.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });
  koa.use(ops.routes());

  const { features } = deps;
  const home = homeRouter(features.flatMap((f) => f.links ?? []));
  koa.use(home.routes());
  const interactions = interactionRouter(app, getProvider, {
    login: loginMethods(app, features),
    throttle: deps.throttle,
    prompts: features.flatMap((f) => f.prompts ?? []),
    loginLinks: features.flatMap((f) => f.loginLinks ?? []),
  });
  // No allowedMethods(): it answers 501 to any method a router lacks, on every path below it, so a
  // PUT to an unknown address would be a 5xx. A wrong method on a known path is simply not found.
  koa.use(interactions.routes());
  // the one sign-in of every self-service area (/orgs, /account)
  koa.use(selfServiceRouter(app, getProvider).routes());
  for (const r of features.flatMap((f) => f.routers?.(getProvider, features) ?? [])) koa.use(r.routes());
  koa.use(postBindingRouter().routes());

  // Everything else is oidc-provider's (discovery, auth, token, userinfo, jwks, logout, ...).
  // A path none of its routes match would get koa's bare "Not Found": its post-middleware leaves
  // that response unwritten (404, no body), and we answer with our own page here.
  const callbacks = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  koa.use(async (ctx) => {
    const provider = getProvider();
    let cb = callbacks.get(provider);
    if (!cb) {
      provider.use(async (pctx, next) => {
        await next();
        if (pctx.status === 404 && pctx.body == null) pctx.respond = false;
      });
      callbacks.set(provider, (cb = provider.callback()));
    }
    ctx.respond = false;
    // one request scope per protocol request: tokens and grants are read from the database once
    await inRequestScope(() => cb(ctx.req, ctx.res));
    if (!ctx.res.headersSent && !ctx.res.writableEnded) {
      ctx.respond = true;
      return notFound(ctx);
    }
    ctx.status = ctx.res.statusCode; // for the access log and metrics
  });

  return koa;
}
