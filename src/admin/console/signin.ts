// The console's sign-in: Yitong's own OIDC flow, as a built-in first-party app (public client,
// code + PKCE, registered on first use, one per issuer, redirect URI ISSUER/admin/callback). The
// console asks for ADMIN_MIN_ACR (acr_values); the callback redeems the code at the token endpoint
// like any app would, and the access token it gets is the console's session (an httpOnly cookie on
// /admin, as long as the token lives). Every page checks that token exactly as the admin API
// checks a bearer token (auth.ts): same acr rule, same roles, read on every request.
import crypto from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../../context.ts';
import { clientStore } from '../../clients/store.ts';
import { authenticate, consoleClientId, type Authenticated } from '../auth.ts';
import { isUniqueViolation } from '../../db/errors.ts';

export const CALLBACK_PATH = '/admin/callback';
const STATE_COOKIE = 'yt_admin_state';
export const SESSION_COOKIE = 'yt_admin';
const NEXT = /^\/admin(?:\/[A-Za-z0-9_.-]+)*\/?(?:\?[A-Za-z0-9_.~%=&+-]*)?$/;

const b64 = (b: Buffer) => b.toString('base64url');
const cookieOpts = (app: AppContext, maxAge: number) => ({ httpOnly: true, sameSite: 'lax' as const, secure: app.config.issuer.startsWith('https:'), path: '/admin', maxAge, overwrite: true, signed: false });

/** Registers the console client for this issuer, once; audited. */
export async function ensureConsoleClient(app: AppContext): Promise<string> {
  const { issuer } = app.config;
  const clientId = consoleClientId(issuer);
  if (await clientStore.byId(app.db, clientId)) return clientId;
  const metadata = {
    client_id: clientId,
    client_name: '一通 · 管理控制台 / Yitong admin console',
    redirect_uris: [`${issuer}${CALLBACK_PATH}`],
    post_logout_redirect_uris: [],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
    scope: 'openid',
  };
  await app.db
    .transaction()
    .execute(async (trx) => {
      await clientStore.insert(trx, { client_id: clientId, name: metadata.client_name, department_code: null, first_party: true, metadata: JSON.stringify(metadata), secret_enc: null });
      await app.audit.append({ event: 'client.create', outcome: 'success', actor: 'system:admin', clientId, detail: { name: metadata.client_name, purpose: 'admin console' } }, trx);
    })
    .catch((err: unknown) => {
      if (!isUniqueViolation(err)) throw err; // another node registered it first
    });
  return clientId;
}

/** Starts a sign-in that comes back to `next` (a console page). */
export async function signInRedirect(app: AppContext, ctx: Context, next: string): Promise<string> {
  const clientId = await ensureConsoleClient(app);
  const state = b64(crypto.randomBytes(18));
  const verifier = b64(crypto.randomBytes(32));
  const target = NEXT.test(next) ? next : '/admin';
  ctx.cookies.set(STATE_COOKIE, `${state}.${verifier}.${b64(Buffer.from(target))}`, cookieOpts(app, 15 * 60_000));
  const url = new URL(`${app.config.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${app.config.issuer}${CALLBACK_PATH}`,
    state,
    code_challenge: b64(crypto.createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    acr_values: app.config.admin.minAcr,
  }).toString();
  return url.toString();
}

export type CallbackResult =
  | { ok: true; next: string; token: string; maxAgeMs: number; who: Authenticated }
  | { ok: false; message: 'interaction.expired' | 'csrf.invalid' | 'admin.unauthorized' };

/** The callback: checks state, redeems the code (PKCE) at the token endpoint, checks the token. */
export async function completeSignIn(app: AppContext, provider: Provider, ctx: Context): Promise<CallbackResult> {
  const cookie = ctx.cookies.get(STATE_COOKIE, { signed: false }) ?? '';
  ctx.cookies.set(STATE_COOKIE, null, cookieOpts(app, 0));
  const [state, verifier, encoded] = cookie.split('.');
  const q = ctx.query;
  if (typeof q.error === 'string') return { ok: false, message: q.error === 'access_denied' ? 'interaction.expired' : 'csrf.invalid' };
  if (!state || !verifier || typeof q.state !== 'string' || q.state !== state || typeof q.code !== 'string') return { ok: false, message: 'csrf.invalid' };
  const res = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.code,
      redirect_uri: `${app.config.issuer}${CALLBACK_PATH}`,
      client_id: consoleClientId(app.config.issuer),
      code_verifier: verifier,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
  if (!res.ok || !body.access_token) return { ok: false, message: 'admin.unauthorized' };
  const next = Buffer.from(encoded ?? '', 'base64url').toString();
  return {
    ok: true,
    next: NEXT.test(next) ? next : '/admin',
    token: body.access_token,
    maxAgeMs: Math.max(60, Math.min(Number(body.expires_in) || 900, 3600)) * 1000,
    who: await authenticate(app, provider, body.access_token),
  };
}

export function setSession(app: AppContext, ctx: Context, token: string, maxAgeMs: number) {
  ctx.cookies.set(SESSION_COOKIE, token, cookieOpts(app, maxAgeMs));
}

export function clearSession(app: AppContext, ctx: Context) {
  ctx.cookies.set(SESSION_COOKIE, null, cookieOpts(app, 0));
}

export const sessionToken = (ctx: Context) => ctx.cookies.get(SESSION_COOKIE, { signed: false });

/** The console's CSRF token: bound to this sign-in's access token. */
export const csrfFor = (app: AppContext, tokenId: string) => app.keyring.blindIndex('admin-console-csrf', tokenId);
