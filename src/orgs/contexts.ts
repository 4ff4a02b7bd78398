// The acting entity of each oidc-provider grant (org_entity_contexts): recorded when the person
// chooses at the select_entity prompt (or a token exchange issues an org token), read by the
// claims, the account guard and the token claims, and ended when the authorisation behind it ends,
// in the transaction that ends it: the grant and its tokens are revoked and the app is told over
// the back channel, through the logout outbox (src/logout).
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { personStore } from '../accounts/store.ts';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { endSignIns, type EndReason as LogoutReason } from '../logout/service.ts';
import { contextStore, orgStore, authorizationStore, type ContextRow } from './store.ts';
import type { EntityOption } from './entity-options.ts';
import { toOrg, type Org, type OrgRole } from './org.ts';

/** What switching a grant's entity uses of oidc-provider: its token models. */
type OidcModels = Pick<Provider, 'AccessToken' | 'RefreshToken' | 'AuthorizationCode'>;
type Trx = Transaction<Database>;


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

type EndReason = 'revoked' | 'relinquished' | 'expired' | 'legal_rep_changed' | 'org_inactive';

/** The logout reason each org end goes by (outbox rows, session.end audit). */
const LOGOUT_REASON: Record<EndReason, LogoutReason> = {
  revoked: 'org.authorization.revoke',
  relinquished: 'org.authorization.relinquish',
  expired: 'org.authorization.expire',
  legal_rep_changed: 'org.legal_rep.change',
  org_inactive: 'org.suspend',
};

export interface EndResult {
  grants: number;
  /** back-channel logouts queued for the apps (delivered by the outbox worker, with retries) */
  queued: number;
}

export const NOTHING_ENDED: EndResult = { grants: 0, queued: 0 };

/**
 * Ends org contexts in the caller's transaction, through the one logout mechanism: their grants
 * are revoked with every token (refresh, userinfo and introspection fail from the next request)
 * and each app that holds the person's session is told over the back channel, with retries.
 */
async function endContexts(app: AppContext, trx: Trx, rows: ContextRow[], reason: EndReason, actor: string | null): Promise<EndResult> {
  if (!rows.length) return NOTHING_ENDED;
  const subs = new Map<string, string | null>();
  for (const id of new Set(rows.map((r) => r.person_id))) subs.set(id, (await personStore.byId(trx, id))?.sub ?? null);
  const signIns = rows.flatMap((r) => {
    const sub = subs.get(r.person_id);
    return sub ? [{ clientId: r.client_id, sub, sid: r.kind === 'login' ? r.sid : null, grantId: r.grant_id }] : [];
  });
  const ended = await endSignIns(app, trx, { sessionIds: [], signIns }, LOGOUT_REASON[reason], actor ?? 'system:orgs');
  for (const row of rows) {
    await app.audit.append(
      {
        event: 'org.context.end',
        outcome: 'success',
        actor,
        clientId: row.client_id,
        detail: { reason, org_id: row.org_id, person: subs.get(row.person_id) ?? null, role: row.role, kind: row.kind, event_id: ended.eventId },
      },
      trx,
    );
  }
  await contextStore.deleteGrants(trx, rows.map((r) => r.grant_id));
  return { grants: ended.grants, queued: ended.queued };
}

/** Ends the contexts resting on an agent authorisation (revoked, given up by the agent, or expired). */
export async function endAuthorizationContexts(app: AppContext, trx: Trx, authorizationId: string, reason: 'revoked' | 'relinquished' | 'expired', actor: string | null) {
  return endContexts(app, trx, await contextStore.forAuthorization(trx, authorizationId), reason, actor);
}

/** Ends a (former) legal representative's contexts for an org. */
export async function endLegalRepContexts(app: AppContext, trx: Trx, orgId: string, personId: string, actor: string | null) {
  return endContexts(app, trx, await contextStore.forOrg(trx, orgId, { personId, role: 'legal_representative' }), 'legal_rep_changed', actor);
}

/** Ends every context of an org (suspended or deregistered). */
export async function endOrgContexts(app: AppContext, trx: Trx, orgId: string, actor: string | null) {
  return endContexts(app, trx, await contextStore.forOrg(trx, orgId), 'org_inactive', actor);
}
