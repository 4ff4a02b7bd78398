// OAuth 2.0 Token Exchange (RFC 8693) for acting as an org, registered with oidc-provider's public
// registerGrantType.
//
//   POST /token  grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//                subject_token=<a person's access token>
//                subject_token_type=urn:ietf:params:oauth:token-type:access_token
//                uscc=<the org's unified social credit code>
//                [scope=<subset of the subject token's scope>]
//                [requested_token_type=urn:ietf:params:oauth:token-type:access_token]
//
// The requesting client must be confidential, and the subject token must have been issued to it
// or to another app of the same department (a departmental front end and its back end). The
// person must be able to act for the org now (legal representative or valid agent). The answer
// is an opaque access token whose subject is the org (sub = org_sub) with `act: { sub: <the
// person's sub> }` (RFC 8693 §4.1) and the legal_person claims, all of which introspection
// returns; its lifetime never passes the end of the agent's authorisation, and it rests on a
// grant of its own that is revoked when the authorisation ends.
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { parseUscc } from '../identity/uscc.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { resolveEntity } from './entity-options.ts';
import { bindContext, contextForGrant, contextUsable } from './contexts.ts';
import { exchangeClaims } from './claims.ts';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const EXCHANGE_PARAMS = ['subject_token', 'subject_token_type', 'requested_token_type', 'actor_token', 'actor_token_type', 'scope', 'uscc'];
/** lifetime of an exchanged token, seconds (shorter when the authorisation ends sooner) */
export const EXCHANGED_TOKEN_TTL = 900;

function invalidGrant(description: string): Error {
  const e = new errors.InvalidGrant();
  (e as unknown as { error_description: string }).error_description = description;
  return e;
}

async function sameDepartment(app: AppContext, a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  const [ma, mb] = await Promise.all([loadClientMetadata(app, a), loadClientMetadata(app, b)]);
  const da = ma?.yitong_department;
  return typeof da === 'string' && da !== '' && da === mb?.yitong_department;
}

export async function tokenExchange(app: AppContext, ctx: KoaContextWithOIDC): Promise<void> {
  const { oidc } = ctx;
  const provider = oidc.provider;
  const client = oidc.client!;
  const params = oidc.params as Record<string, string | undefined>;
  const audit = (outcome: 'success' | 'denied', actor: string, detail: Record<string, unknown>) =>
    app.audit.append({ event: 'org.token.exchange', outcome, actor, clientId: client.clientId, ip: ctx.ip, detail });

  if (client.clientAuthMethod === 'none') throw new errors.UnauthorizedClient('public clients cannot exchange tokens');
  for (const p of ['subject_token', 'subject_token_type', 'uscc'] as const) {
    if (!params[p]) throw new errors.InvalidRequest(`missing required parameter '${p}'`);
  }
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`unsupported subject_token_type, use ${ACCESS_TOKEN_TYPE}`);
  if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest(`unsupported requested_token_type, only ${ACCESS_TOKEN_TYPE} is issued`);
  }
  if (params.actor_token || params.actor_token_type) throw new errors.InvalidRequest('actor_token is not supported: the actor is the subject token’s person');
  const uscc = parseUscc(params.uscc);
  if (!uscc.ok) throw new errors.InvalidRequest(`uscc is not a valid unified social credit code (${uscc.error})`);

  const subject = await provider.AccessToken.find(params.subject_token!);
  if (!subject || subject.isExpired || !subject.accountId || !subject.grantId) throw invalidGrant('subject_token is invalid, expired or revoked');
  const grant = await provider.Grant.find(subject.grantId);
  if (!grant || grant.clientId !== subject.clientId || grant.accountId !== subject.accountId) throw invalidGrant('subject_token is invalid, expired or revoked');
  if (!(await sameDepartment(app, client.clientId, subject.clientId!))) throw invalidGrant('subject_token was not issued to this client or to an app of its department');
  const person = await findPersonBySub(app, subject.accountId);
  if (!person || person.status !== 'active') throw invalidGrant('subject_token does not belong to an active person');
  // A subject token of an org context is only good while that context is.
  const subjectContext = await contextForGrant(app, subject.grantId);
  if (subjectContext && !(await contextUsable(app, subjectContext))) throw invalidGrant('subject_token belongs to an organisation context that has ended');

  const option = await resolveEntity(app, person.id, uscc.value);
  if (!option) {
    await audit('denied', person.sub, { uscc: uscc.value, reason: 'not_authorised' });
    throw invalidGrant('the subject is not authorised to act for this organisation');
  }

  const subjectScopes = [...subject.scopes].filter((s) => s !== 'offline_access');
  let scope = subjectScopes;
  if (params.scope) {
    const requested = params.scope.split(' ').filter(Boolean);
    const missing = requested.filter((s) => !subjectScopes.includes(s));
    if (missing.length) throw new errors.InvalidScope('requested scope exceeds the subject_token’s scope', missing.join(' '));
    scope = requested;
  }

  const now = Date.now();
  const untilSeconds = option.validUntil ? Math.floor((option.validUntil.getTime() - now) / 1000) : Infinity;
  const expiresIn = Math.max(1, Math.min(EXCHANGED_TOKEN_TTL, untilSeconds));

  const orgGrant = new provider.Grant({ accountId: option.org.sub, clientId: client.clientId });
  if (scope.length) orgGrant.addOIDCScope(scope.join(' '));
  const orgGrantId = await orgGrant.save();
  await bindContext(app, provider, { grantId: orgGrantId, clientId: client.clientId, personId: person.id, option, sid: null, kind: 'exchange' });

  const at = new provider.AccessToken({
    accountId: option.org.sub,
    client,
    grantId: orgGrantId,
    gty: TOKEN_EXCHANGE,
    scope: scope.join(' '),
    expiresIn,
  } as ConstructorParameters<Provider['AccessToken']>[0]);
  exchangeClaims.set(at, {
    entity_type: 'legal_person',
    uscc: option.org.uscc,
    org_name: option.org.name,
    org_role: option.role,
    org_sub: option.org.sub,
    act: { sub: person.sub },
  });
  oidc.entity('AccessToken', at);
  const value = await at.save();
  await audit('success', person.sub, { uscc: option.org.uscc, org_id: option.org.id, role: option.role, subject_client: subject.clientId, expires_in: expiresIn });

  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: at.tokenType,
    expires_in: at.expiration,
    ...(at.scope ? { scope: at.scope } : {}),
  };
}
