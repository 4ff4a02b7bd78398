// The ceiling for protocol work: oidc-provider configured like src/oidc/provider.ts (same features,
// scopes and claims, TTLs, PKCE, rotation, ES256 ID tokens, first-party automatic grant) but with
// its in-memory adapter (see below), one static client and a findAccount that returns a
// fixed person. No database, no audit, no Yitong middleware: what oidc-provider itself costs.
//
// Keep the configuration in step with createProvider() in src/oidc/provider.ts.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createMapAdapter } from './lib/map-adapter.ts';
import { forceLoopbackListen, freePort, serve, send, profileHandlers } from './lib/child-kit.ts';
import { personClaims } from '../src/oidc/account.ts';
import { ACR_PASSWORD, PROTOCOL_SETTINGS, protocolTtl } from '../src/oidc/provider.ts';
import type { Person } from '../src/accounts/person.ts';

forceLoopbackListen();

// oidc-provider's default in-memory adapter keeps at most ~1000 entries and would evict live codes
// and tokens under load; a map-backed adapter of our own (public adapter contract) keeps them all.
const memoryAdapter = createMapAdapter();

const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.BENCH_REDIRECT_URI ?? 'http://127.0.0.1/bench/callback';
const clientId = 'bench_memory';
const clientSecret = crypto.randomBytes(32).toString('base64url');

const person: Person = {
  id: crypto.randomUUID(),
  sub: crypto.randomBytes(16).toString('base64url'),
  idType: 'resident_id',
  idNumber: '11010519491231002X',
  name: '张三',
  phone: '13800138000',
  phoneVerified: false,
  email: 'zhang@example.cn',
  emailVerified: false,
  passwordHash: null,
  realNameLevel: 1,
  status: 'active',
  gender: 'female',
  birthdate: '1949-12-31',
};

// Like src/oidc/keys.ts: one ES256 and one RS256 key.
const keys: JWK[] = [];
for (const alg of ['ES256', 'RS256'] as const) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  keys.push({ ...(await exportJWK(privateKey)), kid: `${alg.toLowerCase()}-bench`, alg, use: 'sig' });
}

// Like loadExistingGrant in src/oidc/provider.ts for a first-party app, without the database.
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const grantId = oidc.result?.consent?.grantId || oidc.session!.grantIdFor(client.clientId);
  const grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  const g = grant ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: oidc.session!.accountId });
  g.addOIDCScope([...(oidc.requestParamScopes as Set<string>)].join(' '));
  const claims = [...((oidc.requestParamClaims as Set<string> | undefined) ?? [])];
  if (claims.length) g.addOIDCClaims(claims);
  await g.save();
  return g;
}

const configuration: Configuration = {
  adapter: memoryAdapter as unknown as Configuration['adapter'],
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      client_name: '基准测试应用',
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      yitong_department: 'BENCH',
      yitong_first_party: true,
    },
  ],
  async findAccount(_ctx, sub) {
    if (sub !== person.sub) return undefined;
    return { accountId: person.sub, claims: async () => personClaims(person) };
  },
  jwks: { keys } as Configuration['jwks'],
  ...PROTOCOL_SETTINGS,
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    backchannelLogout: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  ttl: protocolTtl(1800),
  cookies: {
    keys: [crypto.randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax', secure: false, signed: true },
    short: { httpOnly: true, sameSite: 'lax', secure: false, signed: true },
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    policy: interactionPolicy.base(),
  },
  loadExistingGrant,
};

const provider = new Provider(issuer, configuration);
const callback = provider.callback();

/** Interactions finish at once: login as the fixed person, automatic consent (first party). */
async function interaction(req: http.IncomingMessage, res: http.ServerResponse) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: person.sub, acr: ACR_PASSWORD, amr: ['pwd'], remember: false } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
  const d = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (d.missingOIDCScope) grant!.addOIDCScope(d.missingOIDCScope.join(' '));
  if (d.missingOIDCClaims) grant!.addOIDCClaims(d.missingOIDCClaims);
  const grantId = await grant!.save();
  await provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
}

const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/interaction/')) {
    interaction(req, res).catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
    return;
  }
  callback(req, res);
});
await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

serve({ ...profileHandlers }, async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

send({ type: 'ready', issuer, clientId, clientSecret, redirectUri });
