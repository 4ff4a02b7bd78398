// Sign-in for the self-service pages. They live on the provider's own sign-in session, so signing
// in is an ordinary authorization request (code + PKCE, scope openid) by a built-in first-party
// client, the self-service portal, registered in the clients table on first use, one per issuer
// (its redirect URI is ISSUER/orgs/callback). The callback only checks `state` and returns to
// the page the person asked for: the session cookie the login set is what the pages read; the
// code is never redeemed (it expires unused after 60 s).
import crypto from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { clientStore } from '../clients/store.ts';
import { isUniqueViolation } from '../db/errors.ts';

const STATE_COOKIE = 'yt_orgs_state';
const NEXT = /^\/orgs(?:\/[A-Za-z0-9/_-]*)?$/;

export function portalClientId(issuer: string): string {
  return `yt_selfservice_${crypto.createHash('sha256').update(issuer).digest('hex').slice(0, 12)}`;
}

const ensured = new Set<string>();

/** Registers the self-service portal client for this issuer, once. */
export async function ensurePortalClient(app: AppContext): Promise<string> {
  const { issuer } = app.config;
  const clientId = portalClientId(issuer);
  const key = `${issuer} ${clientId}`;
  if (ensured.has(key) && (await clientStore.byId(app.db, clientId))) return clientId;
  if (!(await clientStore.byId(app.db, clientId))) {
    const metadata = {
      client_id: clientId,
      client_name: '一通 · 我的单位 / Yitong self-service',
      redirect_uris: [`${issuer}/orgs/callback`],
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
        await app.audit.append({ event: 'client.create', outcome: 'success', actor: 'system:orgs', clientId, detail: { name: metadata.client_name, purpose: 'self-service portal' } }, trx);
      })
      .catch((err: unknown) => {
        if (!isUniqueViolation(err)) throw err; // another node registered it first
      });
  }
  ensured.add(key);
  return clientId;
}

const b64 = (b: Buffer) => b.toString('base64url');

export async function portalAuthorizationUrl(app: AppContext, provider: Provider, ctx: Context, next: string): Promise<string> {
  const clientId = await ensurePortalClient(app);
  const state = b64(crypto.randomBytes(18));
  const target = NEXT.test(next) ? next : '/orgs';
  ctx.cookies.set(STATE_COOKIE, `${state}.${b64(Buffer.from(target))}`, {
    httpOnly: true,
    sameSite: 'lax',
    secure: app.config.issuer.startsWith('https:'),
    path: '/orgs',
    maxAge: 15 * 60_000,
    overwrite: true,
  });
  const url = new URL(`${provider.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${app.config.issuer}/orgs/callback`,
    state,
    code_challenge: b64(crypto.createHash('sha256').update(b64(crypto.randomBytes(32))).digest()),
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

export function portalCallback(ctx: Context): { ok: true; next: string } | { ok: false; error: string } {
  const cookie = ctx.cookies.get(STATE_COOKIE) ?? '';
  ctx.cookies.set(STATE_COOKIE, null, { path: '/orgs' });
  const [state, encoded] = cookie.split('.');
  const q = ctx.query;
  if (typeof q.error === 'string') return { ok: false, error: q.error };
  if (!state || typeof q.state !== 'string' || q.state !== state || typeof q.code !== 'string') return { ok: false, error: 'state' };
  const next = Buffer.from(encoded ?? '', 'base64url').toString();
  return { ok: true, next: NEXT.test(next) ? next : '/orgs' };
}
