// POST at the authorization endpoint (OIDC Core 3.1.2.1: MUST be supported, form-serialised) and at
// the end-session endpoint (RP-Initiated Logout 1.0: SHOULD).
//
// Decision: answer the POST with 303 See Other to the same endpoint carrying the same parameters as a
// query string, rather than turning on oidc-provider's `enableHttpPostMethods`. That option requires
// SameSite=None on the long-lived session cookie: the session would then ride along on every
// cross-site request to the provider (forged authorization and logout requests gain the person's
// session; a form post from any site lands signed in), and browsers refuse SameSite=None cookies on a
// plain-http issuer altogether. After a 303 the browser makes a top-level GET navigation, which
// carries SameSite=Lax cookies even when the POST came from the app's site, so single sign-on keeps
// working and the cookies stay Lax. Trade-off: the parameters reappear in the URL, as they would with
// GET; an app that must keep them out of URLs uses pushed authorization requests (PAR) instead.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { AppError } from '../errors.ts';

/** oidc-provider's routes that accept the POST binding (set in its configuration from here). */
export const POST_BINDING_ROUTES = { authorization: '/auth', end_session: '/session/end' } as const;

// The parameters end up in a URL: keep them within what proxies and Node accept in a request line.
const FORM_LIMIT = '8kb';

const form = bodyParser({ enableTypes: ['form'], formLimit: FORM_LIMIT, encoding: 'utf-8' });

function redirectAsGet(ctx: Context) {
  if (ctx.request.length && !ctx.request.is('application/x-www-form-urlencoded')) {
    throw new AppError('request.malformed', 'unsupported', 'expected application/x-www-form-urlencoded');
  }
  // Query and body together, duplicates and order kept: oidc-provider judges them as it would a GET
  // (a parameter given twice is its invalid_request, not our silent choice).
  const params = new URLSearchParams(ctx.querystring);
  for (const [k, v] of new URLSearchParams(ctx.request.rawBody ?? '')) params.append(k, v);
  const query = params.toString();
  ctx.set('cache-control', 'no-store');
  ctx.status = 303;
  ctx.redirect(`${ctx.path}${query ? `?${query}` : ''}`);
}

export function postBindingRouter(): Router {
  const router = new Router();
  for (const path of Object.values(POST_BINDING_ROUTES)) router.post(path, form, redirectAsGet);
  return router;
}
