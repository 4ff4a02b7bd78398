// How the acting entity reaches tokens: the legal_person claims in ID tokens and userinfo, the
// account guard that refuses tokens of an org context that may no longer be acted for, and the
// entity (plus `act` for token exchange) in access tokens as introspection shows them.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import type { FindAccount, Configuration } from 'oidc-provider';
import { contextForGrant, contextUsable, type EntityContext } from './contexts.ts';
import { LEGAL_PERSON_SCOPE } from './prompt.ts';

type Oidc = KoaContextWithOIDC['oidc'];

const hasLegalPerson = (scope: string | undefined) => typeof scope === 'string' && scope.split(' ').includes(LEGAL_PERSON_SCOPE);

/**
 * The grant a protocol request works on (the loaded grant, else the token's), when its token
 * carries the legal_person scope: only then can the grant act for an org, so other requests cost
 * no lookup.
 */
export function grantIdOf(oidc: Oidc | undefined): string | undefined {
  if (!oidc) return undefined;
  const e = oidc.entities as Record<string, { jti?: string; grantId?: string; scope?: string } | undefined>;
  const token = e.AccessToken ?? e.RefreshToken ?? e.AuthorizationCode ?? e.DeviceCode;
  if (!token || !hasLegalPerson(token.scope)) return undefined;
  return e.Grant?.jti ?? token.grantId;
}

export function orgClaims(c: EntityContext): Record<string, unknown> {
  if (!c.org) return { entity_type: 'natural_person' };
  return { entity_type: 'legal_person', uscc: c.org.uscc, org_name: c.org.name, org_role: c.role, org_sub: c.org.sub };
}

export async function entityClaims(app: AppContext, person: Person, oidc: Oidc): Promise<Record<string, unknown>> {
  const grantId = grantIdOf(oidc);
  if (!grantId) return {};
  const c = await contextForGrant(app, grantId, oidc);
  if (!c || !c.org || c.personId !== person.id) return {};
  return orgClaims(c);
}

/**
 * A token whose grant acts for an org is only good while the person may act for it: otherwise
 * findAccount answers "no account", so refresh fails with invalid_grant and userinfo with
 * invalid_token, before any new token is minted.
 */
export async function entityGuard(app: AppContext, person: Person, ctx: KoaContextWithOIDC, token: Parameters<FindAccount>[2]): Promise<boolean> {
  const t = token as { grantId?: string; scope?: string } | undefined;
  if (!t?.grantId || !hasLegalPerson(t.scope)) return true;
  const grantId = t.grantId;
  const c = await contextForGrant(app, grantId, ctx.oidc);
  if (!c || !c.org) return true;
  return c.personId === person.id && (await contextUsable(app, c));
}

/** Claims prepared by the token exchange handler for the access token it is about to save. */
export const exchangeClaims = new WeakMap<object, Record<string, unknown>>();

type AccessTokenLike = Parameters<NonNullable<Configuration['extraTokenClaims']>>[1];

export async function entityTokenClaims(app: AppContext, ctx: KoaContextWithOIDC | undefined, token: AccessTokenLike): Promise<Record<string, unknown> | undefined> {
  const prepared = exchangeClaims.get(token);
  if (prepared) return prepared;
  const t = token as { kind?: string; grantId?: string; scope?: string };
  if (t.kind !== 'AccessToken' || !t.grantId || !hasLegalPerson(t.scope)) return undefined;
  const c = await contextForGrant(app, t.grantId, ctx?.oidc);
  return c?.org ? orgClaims(c) : undefined;
}
