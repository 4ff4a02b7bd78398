// oidc-provider configured from the public API only: adapter, findAccount, claims, interaction
// policy, features. State lives in the database, so every node behind a load balancer is alike.
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { AppContext } from '../context.ts';
import { createAdapterFactory } from './adapter.ts';
import { createFindAccount, SCOPE_CLAIMS } from './account.ts';
import { loadClientMetadata, TOKEN_ENDPOINT_AUTH_METHODS, type ClientRules } from '../clients/service.ts';
import { renderPage } from '../http/views.ts';
import { localeOf, startSignInLocale } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { attachAuditListeners } from './events.ts';
import { POST_BINDING_ROUTES } from './post-binding.ts';
import { classifyProtocolError, protocolErrorText } from './error-page.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import type { Feature } from '../feature.ts';
import { PARAMETER_GUARD } from './param-guard.ts';

export const ACR_PASSWORD = 'urn:yitong:acr:pwd';

/** Departmental (first-party) apps skip consent: the grant is made for what they ask. */
async function loadExistingGrant(app: AppContext, ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
  const grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const meta = await loadClientMetadata(app, client.clientId);
  if (!meta?.yitong_first_party) return grant;
  const g = grant ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId });
  const before = grant ? JSON.stringify(g.openid) : undefined;
  g.addOIDCScope([...(oidc.requestParamScopes as Set<string>)].join(' '));
  const claims = [...(oidc.requestParamClaims as Set<string> | undefined ?? [])];
  if (claims.length) g.addOIDCClaims(claims);
  // An SSO round trip usually asks for what the grant already holds: write only what changed.
  if (JSON.stringify(g.openid) !== before) await g.save();
  return g;
}

/**
 * Protocol settings that do not depend on the running app: the claims contract, PKCE, algorithms,
 * refresh rotation and lifetimes. The benchmark's in-memory baseline uses the same ones.
 */
export const PROTOCOL_SETTINGS = {
  // acr, amr and auth_time ride on the openid scope (contract); sid is the session's.
  claims: { sid: null, ...SCOPE_CLAIMS },
  scopes: ['openid', 'offline_access', ...Object.keys(SCOPE_CLAIMS).filter((s) => s !== 'openid')],
  acrValues: [ACR_PASSWORD],
  conformIdTokenClaims: false,
  responseTypes: ['code'],
  // OpenID Connect requires redirect_uri. Guessing an omitted one also crashes oidc-provider's error
  // handler on /auth/:uid when a client_id is added to its query (a 500 for anyone).
  allowOmittingSingleRegisteredRedirectUri: false,
  pkce: { required: () => true },
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  },
  // Only what `yitong client add --token-endpoint-auth-method` registers is advertised.
  clientAuthMethods: [...TOKEN_ENDPOINT_AUTH_METHODS],
  extraClientMetadata: { properties: ['yitong_department', 'yitong_first_party'] },
  enabledJWA: { idTokenSigningAlgValues: ['ES256', 'RS256'], userinfoSigningAlgValues: ['ES256', 'RS256'] },
  rotateRefreshToken: true,
} satisfies Configuration;

const INTERACTION_TTL = 900;

export function protocolTtl(sessionIdleSeconds: number): NonNullable<Configuration['ttl']> {
  return {
    AccessToken: 900,
    AuthorizationCode: 60,
    ClientCredentials: 900,
    IdToken: 3600,
    Interaction: INTERACTION_TTL,
    Session: sessionIdleSeconds,
    Grant: 14 * 24 * 3600,
    RefreshToken: 14 * 24 * 3600,
    PushedAuthorizationRequest: 60,
  };
}

/** Grant types every client may be registered with; features add theirs (token exchange). */
export const CORE_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

export function grantTypesOf(features: Feature[]): string[] {
  return [...CORE_GRANT_TYPES, ...features.flatMap((f) => f.grantTypes ?? []).map((g) => g.type)];
}

/** The rules `addClient` checks a new client against: this provider's grant types and validation. */
export function clientRules(provider: Provider, features: Feature[]): ClientRules {
  return {
    grantTypes: grantTypesOf(features),
    async validate(metadata) {
      await provider.Client.validate(metadata as Parameters<typeof provider.Client.validate>[0]);
    },
  };
}

export function createProvider(app: AppContext, jwks: { keys: JWK[] }, features: Feature[]): Provider {
  const { config } = app;
  const secure = config.issuer.startsWith('https:');
  const policy = interactionPolicy.base();
  for (const f of features) for (const p of f.prompts ?? []) p.add(policy);
  const tokenClaims = features.flatMap((f) => f.tokenClaims ?? []);

  const configuration: Configuration = {
    adapter: createAdapterFactory(app) as unknown as Configuration['adapter'],
    findAccount: createFindAccount(app, features),
    jwks: jwks as Configuration['jwks'],
    ...PROTOCOL_SETTINGS,
    // refuses parameters that cannot be stored or make no sense, before anything is written
    extraParams: PARAMETER_GUARD,
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      clientCredentials: { enabled: true },
      // A client may introspect its own tokens, and a confidential client those of its department's
      // apps (a department's back end serving its front ends); nobody else learns a token is active.
      introspection: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none' || !token.clientId) return false;
          const [mine, theirs] = await Promise.all([loadClientMetadata(app, client.clientId), loadClientMetadata(app, token.clientId)]);
          return Boolean(mine?.yitong_department) && mine?.yitong_department === theirs?.yitong_department;
        },
      },
      revocation: {
        enabled: true,
        async allowedPolicy(_ctx, client, token) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false; // RFC 7009: answer as if revoked
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    },
    // oidc-provider refuses outgoing requests to private and loopback addresses (an SSRF guard for
    // dynamically registered clients). Here every outgoing URL (back-channel logout, jwks_uri) is
    // registered by an administrator, and departmental apps live on government intranets
    // (10.x, 192.168.x), so the guard would break single logout. Keep its 2.5 s timeout.
    fetch: (url, options) => {
      const { dispatcher: _ssrfGuard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    ttl: protocolTtl(config.sessionIdleSeconds),
    // POST to these is answered by post-binding.ts (303 to the GET), which is why the cookies stay Lax.
    routes: POST_BINDING_ROUTES,
    cookies: {
      keys: app.keyring.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax', secure, signed: true },
      short: { httpOnly: true, sameSite: 'lax', secure, signed: true },
    },
    interactions: {
      url(ctx, interaction) {
        // The first interaction of an authorization request (later ones carry the last submission)
        // sets the language its pages speak from the request's ui_locales.
        if (!interaction.lastSubmission) startSignInLocale(ctx, interaction.params.ui_locales, INTERACTION_TTL * 1000);
        return `/interaction/${interaction.uid}`;
      },
      policy,
    },
    loadExistingGrant: (ctx) => loadExistingGrant(app, ctx),
    async extraTokenClaims(ctx, token) {
      let extra: Record<string, unknown> | undefined;
      for (const fn of tokenClaims) {
        const more = await fn(ctx, token);
        if (more) extra = { ...extra, ...more };
      }
      return extra;
    },
    async renderError(ctx, out, error) {
      // An authorization or logout request's own ui_locales; a resumed sign-in's is in its cookie.
      const route = ctx.oidc?.route;
      const locale = localeOf(ctx, route === 'authorization' || route === 'end_session' ? ctx.oidc?.params?.ui_locales : undefined);
      const clientName = ctx.oidc?.client?.clientName;
      const text = protocolErrorText(classifyProtocolError(out.error, error), Boolean(clientName));
      ctx.type = 'html';
      ctx.body = renderPage('message', locale, {
        heading: tr(locale, 'error.heading'),
        kind: 'error',
        message: tr(locale, text.message),
        next: trf(locale, text.next, { app: clientName ?? '' }),
        code: out.error,
        description: out.error_description,
      });
      if ((error as { status?: number }).status === undefined || (error as { status?: number }).status! >= 500) {
        app.audit.append({ event: 'server.error', outcome: 'failure', detail: { error: out.error } }).catch(() => {});
      }
    },
  };

  const provider = new Provider(config.issuer, configuration);
  provider.proxy = config.trustProxyHops > 0;
  provider.maxIpsCount = config.trustProxyHops;
  attachAuditListeners(app, provider);
  for (const f of features) f.listen?.(provider);
  for (const f of features) for (const g of f.grantTypes ?? []) provider.registerGrantType(g.type, g.handler, g.params);
  return provider;
}
