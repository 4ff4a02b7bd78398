// Token endpoint authentication: discovery advertises exactly the methods a client can be registered
// with, and an app registered with each of them gets tokens through openid-client using that method
// (and only that method).
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { TOKEN_ENDPOINT_AUTH_METHODS } from '../../src/clients/service.ts';
import { AppError } from '../../src/errors.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';

let s: TestServer;
let jwksServer: http.Server;
let jwksUri: string;
let appKey: jose.CryptoKey;
const user = new HttpUser();

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  await person(s);
  // the app's own key pair; its public half is served the way an app publishes it
  const pair = await jose.generateKeyPair('ES256');
  appKey = pair.privateKey;
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'app-key-1', use: 'sig', alg: 'ES256' };
  jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as net.AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  await new Promise<void>((r) => jwksServer?.close(() => r()));
  await s?.close();
});

/** A code for the app (the person signs in once; then single sign-on). */
async function code(config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile offline_access',
    prompt: 'consent',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  let page = await user.follow(url.toString(), REDIRECT);
  if (!page.url.startsWith(REDIRECT)) {
    const html = await page.res.text();
    page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, REDIRECT);
  }
  return { callback: new URL(page.url), verifier };
}

const discover = (clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(s.issuer), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });

describe('token endpoint authentication', () => {
  it('discovery advertises exactly the methods a client can be registered with', async () => {
    const meta = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const advertised = meta.token_endpoint_auth_methods_supported as string[];
    expect([...advertised].sort()).toEqual([...TOKEN_ENDPOINT_AUTH_METHODS].sort());
    for (const method of advertised) {
      const app = await client(s, { redirectUris: [REDIRECT], tokenEndpointAuthMethod: method, ...(method === 'private_key_jwt' ? { jwksUri } : {}) });
      expect((await s.provider().Client.find(app.client_id))?.clientAuthMethod, method).toBe(method);
    }
    // the request_uri parameter (a request object fetched by reference) is not supported: PAR is
    expect(meta.request_uri_parameter_supported).toBe(false);
    expect(meta.pushed_authorization_request_endpoint).toBe(`${s.issuer}/request`);
  });

  // `wrong` is another method with what the app holds. (basic and post carry the same secret, in a
  // header or in the body; oidc-provider takes either for both.)
  const cases: { method: string; auth: (secret: string) => oidc.ClientAuth; wrong: (secret: string) => oidc.ClientAuth }[] = [
    { method: 'client_secret_basic', auth: (x) => oidc.ClientSecretBasic(x), wrong: (x) => oidc.ClientSecretJwt(x) },
    { method: 'client_secret_post', auth: (x) => oidc.ClientSecretPost(x), wrong: (x) => oidc.ClientSecretJwt(x) },
    { method: 'client_secret_jwt', auth: (x) => oidc.ClientSecretJwt(x), wrong: (x) => oidc.ClientSecretPost(x) },
    { method: 'private_key_jwt', auth: () => oidc.PrivateKeyJwt({ key: appKey, kid: 'app-key-1' }), wrong: () => oidc.ClientSecretPost('guess') },
  ];

  for (const c of cases) {
    it(`${c.method}: redeems a code and refreshes with it, and with nothing else`, async () => {
      const app = await client(s, {
        department: 'GA',
        redirectUris: [REDIRECT],
        tokenEndpointAuthMethod: c.method,
        ...(c.method === 'private_key_jwt' ? { jwksUri } : {}),
      });
      if (c.method === 'private_key_jwt') expect(app.client_secret).toBeUndefined();
      else expect(app.client_secret!.length).toBeGreaterThanOrEqual(c.method === 'client_secret_jwt' ? 86 : 43);
      const secret = app.client_secret ?? '';

      const config = await discover(app.client_id, c.auth(secret));
      const first = await code(config);
      const tokens = await oidc.authorizationCodeGrant(config, first.callback, { pkceCodeVerifier: first.verifier });
      expect(tokens.claims()!.name).toBe('张三');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeTruthy();

      const wrong = await discover(app.client_id, c.wrong(secret));
      const second = await code(config);
      await expect(oidc.authorizationCodeGrant(wrong, second.callback, { pkceCodeVerifier: second.verifier })).rejects.toMatchObject({ error: 'invalid_client' });
    });
  }

  it('refuses registrations that cannot work', async () => {
    const add = (input: Record<string, unknown>) => client(s, { redirectUris: [REDIRECT], ...input });
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
    expect(await code(add({ tokenEndpointAuthMethod: 'private_key_jwt' }))).toBe('client.jwks_uri_required');
    expect(await code(add({ tokenEndpointAuthMethod: 'client_secret_post', jwksUri }))).toBe('client.jwks_uri_unused');
    expect(await code(add({ tokenEndpointAuthMethod: 'tls_client_auth' }))).toBe('client.auth_method_invalid');
    expect(await code(add({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'not a url' }))).toBe('client.jwks_uri_invalid');
    expect(await code(add({ public: true, tokenEndpointAuthMethod: 'client_secret_post' }))).toBe('client.invalid');
    expect(await code(add({ tokenEndpointAuthMethod: 'none', grantTypes: ['client_credentials'] }))).toBe('client.invalid');
    // none is the same as --public: no secret
    const pub = await add({ tokenEndpointAuthMethod: 'none' });
    expect(pub).not.toHaveProperty('client_secret');
  });
});
