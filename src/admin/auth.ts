// Who calls the admin API: a bearer token issued by Yitong itself, looked up through
// oidc-provider's public models (never parsed by hand).
//
// - A person's access token, issued to the console (the built-in first-party client of
//   console/signin.ts) by an ordinary code flow. Its acr, recorded at issue (consoleTokenClaims),
//   must be at least ADMIN_MIN_ACR; the person must be active. Tokens the person holds for any other
//   app are not admin credentials.
// - A client_credentials token of an active confidential client (`client add --grant-type
//   client_credentials --admin-role ROLE`).
//
// Roles are read on every call, so a revoked role or a disabled person or client stops at once.
import crypto from 'node:crypto';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { ACR_VALUES } from '../config/env.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { maskName } from '../identity/mask.ts';
import { acrRank, type RoleGrant } from './roles.ts';
import { rolesOfClient, rolesOfPerson } from './service.ts';
import type { TokenClaimsExtension } from '../feature.ts';

export interface Principal {
  kind: 'person' | 'client';
  /** for the audit trail: the person's sub, or `client:CLIENT_ID` */
  actor: string;
  /** the console (for a person) or the automation client */
  clientId: string;
  grants: RoleGrant[];
  /** a person's masked name, for the console's header */
  displayName: string;
  /** the token's own id: binds the console's CSRF tokens to this sign-in */
  tokenId: string;
}

export type Authenticated = { ok: true; principal: Principal } | { ok: false; code: 'admin.unauthorized' | 'admin.acr_too_weak'; actor?: string; clientId?: string };

/** The console's client id for this issuer (one per issuer, like the self-service portal's). */
export function consoleClientId(issuer: string): string {
  return `yt_admin_console_${crypto.createHash('sha256').update(issuer).digest('hex').slice(0, 12)}`;
}

const TOKEN_SHAPE = /^[A-Za-z0-9._~+/=-]{16,2048}$/;

export async function authenticate(app: AppContext, provider: Provider, token: string | undefined): Promise<Authenticated> {
  if (!token || !TOKEN_SHAPE.test(token)) return { ok: false, code: 'admin.unauthorized' };
  const consoleId = consoleClientId(app.config.issuer);

  const at = await provider.AccessToken.find(token);
  if (at) {
    if (at.clientId !== consoleId || !at.isValid) return { ok: false, code: 'admin.unauthorized', clientId: at.clientId };
    const person = await findPersonBySub(app, at.accountId);
    if (!person || person.status !== 'active') return { ok: false, code: 'admin.unauthorized', actor: at.accountId, clientId: at.clientId };
    const order = ACR_VALUES as readonly string[];
    if (acrRank(at.extra?.acr, order) < acrRank(app.config.admin.minAcr, order)) return { ok: false, code: 'admin.acr_too_weak', actor: person.sub, clientId: at.clientId };
    return {
      ok: true,
      principal: { kind: 'person', actor: person.sub, clientId: consoleId, grants: await rolesOfPerson(app, person.id), displayName: maskName(person.name), tokenId: at.jti },
    };
  }

  const cc = await provider.ClientCredentials.find(token);
  if (cc?.clientId && cc.isValid) {
    if (!(await loadClientMetadata(app, cc.clientId))) return { ok: false, code: 'admin.unauthorized', clientId: cc.clientId };
    return {
      ok: true,
      principal: { kind: 'client', actor: `client:${cc.clientId}`, clientId: cc.clientId, grants: await rolesOfClient(app, cc.clientId), displayName: cc.clientId, tokenId: cc.jti },
    };
  }
  return { ok: false, code: 'admin.unauthorized' };
}

/**
 * Records the acr of the sign-in in the console's access tokens (the code's or the refresh
 * token's), so the API can require ADMIN_MIN_ACR of the token itself.
 */
export function consoleTokenClaims(app: AppContext): TokenClaimsExtension {
  const consoleId = consoleClientId(app.config.issuer);
  return async (ctx: KoaContextWithOIDC | undefined, token) => {
    if (token.kind !== 'AccessToken' || token.clientId !== consoleId) return undefined;
    const entities = ctx?.oidc.entities as { AuthorizationCode?: { acr?: string }; RefreshToken?: { acr?: string } } | undefined;
    const acr = entities?.AuthorizationCode?.acr ?? entities?.RefreshToken?.acr;
    return acr ? { acr } : undefined;
  };
}
