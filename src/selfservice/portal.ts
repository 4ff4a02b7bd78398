// Sign-in for every self-service area (/orgs "我的单位", /account "个人中心"). The pages live on the
// provider's own sign-in session, so signing in is an ordinary authorization request (code + PKCE,
// scope openid) by one built-in first-party client, the self-service portal, registered in the
// clients table on first use, one per issuer, with the one redirect URI ISSUER/selfservice/callback.
// The callback only checks `state` and returns to the page the person asked for: the session cookie
// the login set is what the pages read (oidc-provider's public `provider.Session.get(ctx)`); the
// code is never redeemed (it expires unused after 60 s).
//
// `signedIn` reads that session for a page, with the CSRF token of the session (an HMAC of its
// uid, which oidc-provider keeps across re-logins): the same for every self-service form.
import crypto from 'node:crypto';
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { clientStore } from '../clients/store.ts';
import { safeEqual } from '../crypto/keyring.ts';
import { findPersonBySub } from '../accounts/service.ts';
import type { Person } from '../accounts/person.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { isUniqueViolation } from '../db/errors.ts';

export const SIGN_IN_PATH = '/selfservice/login';
const CALLBACK_PATH = '/selfservice/callback';
const STATE_COOKIE = 'yt_selfservice_state';
/** Where a sign-in may return to: a local path of plain segments (never another site, never a query). */
const NEXT = /^\/[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*\/?$/;
const DEFAULT_NEXT = '/account';

export function portalClientId(issuer: string): string {
  return `yt_selfservice_${crypto.createHash('sha256').update(issuer).digest('hex').slice(0, 12)}`;
}

function portalMetadata(issuer: string, clientId: string) {
  return {
    client_id: clientId,
    client_name: '一通 · 个人中心 / Yitong self-service',
    client_uri: `${issuer}/account`,
    redirect_uris: [`${issuer}${CALLBACK_PATH}`],
    post_logout_redirect_uris: [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
    scope: 'openid',
  };
}

/**
 * Registers the self-service portal client for this issuer, or brings an older registration (one
 * redirect URI per area) up to date; audited either way.
 */
export async function ensurePortalClient(app: AppContext): Promise<string> {
  const { issuer } = app.config;
  const clientId = portalClientId(issuer);
  const metadata = portalMetadata(issuer, clientId);
  const existing = await clientStore.byId(app.db, clientId);
  if (existing && canonical(existing.metadata) === canonical(metadata)) return clientId;
  await app.db
    .transaction()
    .execute(async (trx) => {
      if (existing) await clientStore.updateMetadata(trx, clientId, metadata.client_name, JSON.stringify(metadata));
      else await clientStore.insert(trx, { client_id: clientId, name: metadata.client_name, department_code: null, first_party: true, metadata: JSON.stringify(metadata), secret_enc: null });
      await app.audit.append(
        { event: existing ? 'client.update' : 'client.create', outcome: 'success', actor: 'system:selfservice', clientId, detail: { name: metadata.client_name, purpose: 'self-service portal' } },
        trx,
      );
    })
    .catch((err: unknown) => {
      if (!isUniqueViolation(err)) throw err; // another node registered it first
    });
  return clientId;
}

/** JSON with sorted keys (jsonb does not keep the order keys were written in). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const b64 = (b: Buffer) => b.toString('base64url');

/** The URL of the shared sign-in that returns to `next` (a self-service page). */
export function signInUrl(next: string): string {
  return `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`;
}

async function authorizationUrl(app: AppContext, provider: Provider, ctx: Context, clientId: string, next: string, fresh: boolean): Promise<string> {
  const state = b64(crypto.randomBytes(18));
  const target = NEXT.test(next) ? next : DEFAULT_NEXT;
  ctx.cookies.set(STATE_COOKIE, `${state}.${b64(Buffer.from(target))}`, {
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.issuer.startsWith('https:'),
    path: '/selfservice',
    maxAge: 15 * 60_000,
    overwrite: true,
    signed: false,
  });
  const url = new URL(`${provider.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${app.config.issuer}${CALLBACK_PATH}`,
    state,
    code_challenge: b64(crypto.createHash('sha256').update(b64(crypto.randomBytes(32))).digest()),
    code_challenge_method: 'S256',
    // a sensitive action asked for proof that the person at the keyboard is the account's owner
    ...(fresh ? { prompt: 'login' } : {}),
  }).toString();
  return url.toString();
}

/** Where to go after sign-in, or the message key to show when the callback cannot be used. */
function callback(ctx: Context): { ok: true; next: string } | { ok: false; message: 'interaction.expired' | 'csrf.invalid' } {
  const cookie = ctx.cookies.get(STATE_COOKIE, { signed: false }) ?? '';
  ctx.cookies.set(STATE_COOKIE, null, { path: '/selfservice', signed: false });
  const [state, encoded] = cookie.split('.');
  const q = ctx.query;
  // access_denied: the sign-in was abandoned; any other error, or a state mismatch: "reload and try again"
  if (typeof q.error === 'string') return { ok: false, message: q.error === 'access_denied' ? 'interaction.expired' : 'csrf.invalid' };
  if (!state || typeof q.state !== 'string' || q.state !== state || typeof q.code !== 'string') return { ok: false, message: 'csrf.invalid' };
  const next = Buffer.from(encoded ?? '', 'base64url').toString();
  return { ok: true, next: NEXT.test(next) ? next : DEFAULT_NEXT };
}

function messagePage(ctx: Context, status: number, code: string, link?: { href: string; label: string }) {
  const locale = localeOf(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code, link });
}

/** GET /selfservice/login?next=/account[&fresh=1] and GET /selfservice/callback. */
export function selfServiceRouter(app: AppContext, getProvider: () => Provider): Router {
  const router = new Router();
  let registered: string | undefined; // this server's portal client, once known to exist
  router.get(SIGN_IN_PATH, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    const next = typeof ctx.query.next === 'string' ? ctx.query.next : DEFAULT_NEXT;
    registered ??= await ensurePortalClient(app);
    ctx.status = 303;
    ctx.redirect(await authorizationUrl(app, getProvider(), ctx, registered, next, ctx.query.fresh === '1'));
  });
  router.get(CALLBACK_PATH, (ctx) => {
    ctx.set('cache-control', 'no-store');
    const r = callback(ctx);
    if (!r.ok) return messagePage(ctx, 400, r.message);
    ctx.status = 303;
    ctx.redirect(r.next);
  });
  return router;
}

// ---------------------------------------------------------------------------------------------
// reading the session on a self-service page

export interface SignedIn {
  person: Person;
  /** the provider session: `id` is its current id (it changes at each login), `uid` is stable */
  session: { id: string; uid: string; loginTs: number | null };
  csrf: string;
}

const CSRF_LABEL = 'selfservice-csrf';

/** The signed-in person of an active account, or null. */
export async function signedIn(app: AppContext, provider: Provider, ctx: Context): Promise<SignedIn | null> {
  const session = await provider.Session.get(ctx);
  if (!session?.accountId) return null;
  const person = await findPersonBySub(app, session.accountId);
  if (!person || person.status !== 'active') return null;
  return {
    person,
    session: { id: session.jti, uid: session.uid, loginTs: typeof session.loginTs === 'number' ? session.loginTs : null },
    csrf: app.keyring.blindIndex(CSRF_LABEL, session.uid),
  };
}

/** The form's `csrf` field matches the session's token. */
export function csrfOk(s: SignedIn, submitted: unknown): boolean {
  return typeof submitted === 'string' && submitted.length > 0 && safeEqual(s.csrf, submitted);
}

/**
 * For a page handler: the signed-in person, or null after answering (a GET goes to sign-in and
 * comes back; anything else gets a 401 page, with a sign-in link back to `home` when given).
 * Self-service pages are never cached.
 */
export async function requireSignIn(
  app: AppContext,
  provider: Provider,
  ctx: Context,
  signInRequired = 'selfservice.sign_in_required',
  home?: string,
): Promise<SignedIn | null> {
  ctx.set('cache-control', 'no-store');
  const s = await signedIn(app, provider, ctx);
  if (s) return s;
  if (ctx.method === 'GET' || ctx.method === 'HEAD') {
    localeOf(ctx); // remembers a ?lang= choice for the sign-in pages and the page after
    ctx.status = 303;
    ctx.redirect(signInUrl(ctx.path));
  } else messagePage(ctx, 401, signInRequired, home ? { href: signInUrl(home), label: tr(localeOf(ctx), 'selfservice.sign_in') } : undefined);
  return null;
}
