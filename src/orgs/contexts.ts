// The acting entity of each oidc-provider grant (org_entity_contexts): recorded when the person
// chooses at the select_entity prompt (or a token exchange issues an org token), read by the
// claims, the account guard and the token claims, and ended when the authorisation behind it ends:
// the grant and its tokens are revoked (public model API: Grant#destroy, *.revokeByGrantId) and
// the app is told over the back channel (Client#backchannelLogout with the person's sub and sid).
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { personStore } from '../accounts/store.ts';
import { logger } from '../log.ts';
import { contextStore, orgStore, authorizationStore, type ContextRow } from './store.ts';
import type { EntityOption } from './entity-options.ts';
import { toOrg, type Org, type OrgRole } from './org.ts';

/** What ending a context uses of oidc-provider: its grant, token and client models. */
type OidcModels = Pick<Provider, 'Grant' | 'Client' | 'AccessToken' | 'RefreshToken' | 'AuthorizationCode'>;

/**
 * How a service that ends contexts reaches the provider. A function, because the server's
 * provider is replaced when signing keys rotate, and the CLI builds one only once a change is made.
 */
export type ProviderSource = () => OidcModels | Promise<OidcModels>;

export interface EntityContext {
  grantId: string;
  clientId: string;
  personId: string;
  /** null: the person acts for themselves */
  org: Org | null;
  role: OrgRole | null;
  authorizationId: string | null;
  sid: string | null;
  kind: 'login' | 'exchange';
}

// One request may ask for the same grant's context several times (account guard, claims, token
// claims): remember the answer for the request (keyed by its ctx.oidc object).
const memo = new WeakMap<object, Map<string, Promise<EntityContext | null>>>();

async function load(app: AppContext, grantId: string): Promise<EntityContext | null> {
  const row = await contextStore.byGrant(app.db, grantId);
  if (!row) return null;
  const org = row.org_id ? await orgStore.byId(app.db, row.org_id) : undefined;
  return {
    grantId: row.grant_id,
    clientId: row.client_id,
    personId: row.person_id,
    org: org ? toOrg(org) : null,
    role: (row.role as OrgRole | null) ?? null,
    authorizationId: row.authorization_id,
    sid: row.sid,
    kind: row.kind === 'exchange' ? 'exchange' : 'login',
  };
}

export function contextForGrant(app: AppContext, grantId: string, scope?: object): Promise<EntityContext | null> {
  if (!scope) return load(app, grantId);
  let m = memo.get(scope);
  if (!m) memo.set(scope, (m = new Map()));
  let p = m.get(grantId);
  if (!p) m.set(grantId, (p = load(app, grantId)));
  return p;
}

/** Whether the entity of a context may still be acted for (always, for a natural person). */
export async function contextUsable(app: AppContext, c: EntityContext, now = new Date()): Promise<boolean> {
  if (!c.org) return true;
  if (c.org.status !== 'active') return false;
  if (c.role === 'legal_representative') return c.org.legalRepPersonId === c.personId;
  if (!c.authorizationId) return false;
  return authorizationStore.usable(app.db, c.authorizationId, c.org.id, c.personId, now);
}

const sameEntity = (row: ContextRow, option: EntityOption | null) =>
  (row.org_id ?? null) === (option?.org.id ?? null) && (row.role ?? null) === (option?.role ?? null) && (row.authorization_id ?? null) === (option?.authorizationId ?? null);

/** Revokes every token a grant issued (the grant itself stays). */
async function revokeGrantTokens(provider: OidcModels, grantId: string): Promise<void> {
  await Promise.all([
    provider.AccessToken.revokeByGrantId(grantId),
    provider.RefreshToken.revokeByGrantId(grantId),
    provider.AuthorizationCode.revokeByGrantId(grantId),
  ]);
}

/** Revokes a grant and every token it issued. */
async function revokeGrant(provider: OidcModels, grantId: string): Promise<void> {
  await revokeGrantTokens(provider, grantId);
  const grant = await provider.Grant.find(grantId);
  if (grant) await grant.destroy();
}

/**
 * Records the entity a grant acts for. Should a grant change entity (its previous org can no
 * longer be acted for and the person chose again), the tokens issued for the previous entity are
 * revoked first, so no token ever changes whom it speaks for.
 */
export async function bindContext(
  app: AppContext,
  provider: Provider,
  c: { grantId: string; clientId: string; personId: string; option: EntityOption | null; sid: string | null; kind: 'login' | 'exchange' },
): Promise<void> {
  const existing = await contextStore.byGrant(app.db, c.grantId);
  if (existing && sameEntity(existing, c.option) && existing.person_id === c.personId) return;
  if (existing) await revokeGrantTokens(provider, c.grantId);
  await contextStore.upsert(app.db, {
    grant_id: c.grantId,
    client_id: c.clientId,
    person_id: c.personId,
    org_id: c.option?.org.id ?? null,
    role: c.option?.role ?? null,
    authorization_id: c.option?.authorizationId ?? null,
    sid: c.sid,
    kind: c.kind,
  });
}

type EndReason = 'revoked' | 'expired' | 'legal_rep_changed' | 'org_inactive';

export interface EndResult {
  grants: number;
  notified: number;
  failed: number;
}

type BackchannelClient = { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string | undefined): Promise<void> };

/**
 * Ends org contexts: revokes their grants (so refresh and userinfo fail at once) and sends
 * back-channel logout for the person's session at each app that holds one. Back-channel failures
 * are logged and audited, never thrown: the grants are gone either way.
 */
async function endContexts(app: AppContext, provider: OidcModels, rows: ContextRow[], reason: EndReason, actor: string | null): Promise<EndResult> {
  const result: EndResult = { grants: 0, notified: 0, failed: 0 };
  const subs = new Map<string, string | null>();
  const subOf = async (personId: string) => {
    if (!subs.has(personId)) subs.set(personId, (await personStore.byId(app.db, personId))?.sub ?? null);
    return subs.get(personId)!;
  };
  for (const row of rows) {
    await revokeGrant(provider, row.grant_id);
    result.grants++;
    let backchannel: 'sent' | 'failed' | 'none' = 'none';
    let error: string | undefined;
    const sub = await subOf(row.person_id);
    if (row.kind === 'login' && row.sid && sub) {
      const client = (await provider.Client.find(row.client_id)) as unknown as BackchannelClient | undefined;
      if (client?.backchannelLogoutUri) {
        try {
          await client.backchannelLogout(sub, row.sid);
          backchannel = 'sent';
          result.notified++;
        } catch (err) {
          backchannel = 'failed';
          error = (err as Error).message;
          result.failed++;
          logger.warn({ err: error, client: row.client_id }, 'back-channel logout of an org context failed');
        }
      }
    }
    await app.audit.append({
      event: 'org.context.end',
      outcome: backchannel === 'failed' ? 'failure' : 'success',
      actor,
      clientId: row.client_id,
      detail: { reason, org_id: row.org_id, person: sub, role: row.role, kind: row.kind, backchannel, ...(error ? { error } : {}) },
    });
  }
  await contextStore.deleteGrants(app.db, rows.map((r) => r.grant_id));
  return result;
}

/** Ends the contexts resting on an agent authorisation (revoked or expired). */
export async function endAuthorizationContexts(app: AppContext, provider: OidcModels, authorizationId: string, reason: EndReason, actor: string | null) {
  return endContexts(app, provider, await contextStore.forAuthorization(app.db, authorizationId), reason, actor);
}

/** Ends a (former) legal representative's contexts for an org. */
export async function endLegalRepContexts(app: AppContext, provider: OidcModels, orgId: string, personId: string, actor: string | null) {
  return endContexts(app, provider, await contextStore.forOrg(app.db, orgId, { personId, role: 'legal_representative' }), 'legal_rep_changed', actor);
}

/** Ends every context of an org (suspended or deregistered). */
export async function endOrgContexts(app: AppContext, provider: OidcModels, orgId: string, actor: string | null) {
  return endContexts(app, provider, await contextStore.forOrg(app.db, orgId), 'org_inactive', actor);
}
