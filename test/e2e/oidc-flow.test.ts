// A departmental app (openid-client) signs a person in with code + PKCE, reads userinfo,
// refreshes, introspects, revokes and signs out, against a real server and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

let s: TestServer;
let app: { client_id: string; client_secret?: string };
let rp: oidc.Configuration;
let sub: string;
let backchannel: BackchannelReceiver;
const REDIRECT = 'https://ga.example.gov.cn/callback';
const POST_LOGOUT = 'https://ga.example.gov.cn/bye';

async function discover(clientId: string, secret?: string) {
  return oidc.discovery(new URL(s.issuer), clientId, secret, secret ? undefined : oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

/** Drives the login form over HTTP; returns the callback URL with the code. */
async function login(user: HttpUser, config: oidc.Configuration, opts: { scope?: string; identifier?: string; password?: string; redirect?: string } = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: opts.redirect ?? REDIRECT,
    scope: opts.scope ?? 'openid profile phone email id_card offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent',
  });
  const page = await user.follow(url.toString(), REDIRECT);
  if (page.url.startsWith(REDIRECT)) return { callback: new URL(page.url), verifier, state };
  const html = await page.res.text();
  const done = await user.postForm(
    new URL(formAction(html, '/login'), s.issuer).toString(),
    { ...formFields(html), identifier: opts.identifier ?? ID_A, password: opts.password ?? PASSWORD },
    REDIRECT,
  );
  return { callback: new URL(done.url), verifier, state, res: done.res };
}

beforeAll(async () => {
  s = await startTestServer();
  backchannel = await startBackchannelReceiver();
  await department(s);
  app = await client(s, {
    department: 'GA',
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [POST_LOGOUT],
    backchannelLogoutUri: backchannel.url,
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  rp = await discover(app.client_id, app.client_secret);
  sub = (await person(s)).sub;
});

afterAll(async () => {
  await backchannel?.close();
  await s?.close();
});

describe('authorization code + PKCE for a departmental app', () => {
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  const user = new HttpUser();

  it('signs the person in and issues an ID token with the contracted claims', async () => {
    const { callback, verifier, state } = await login(user, rp);
    expect(callback.toString()).toContain('code=');
    expect(callback.searchParams.get('iss')).toBe(s.issuer); // RFC 9207
    tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(sub);
    expect(claims.sub).not.toContain(ID_A);
    expect(claims).toMatchObject({ name: '张三', gender: 'female', birthdate: '1949-12-31', acr: 'urn:yitong:acr:pwd', amr: ['pwd'] });
    expect(typeof claims.auth_time).toBe('number');
    expect(tokens.refresh_token).toBeTruthy();
    const header = jose.decodeProtectedHeader(tokens.id_token!);
    expect(header.alg).toBe('ES256');
  });

  it('serves userinfo with phone, e-mail and ID card claims', async () => {
    const info = await oidc.fetchUserInfo(rp, tokens.access_token, sub);
    expect(info).toMatchObject({
      sub,
      name: '张三',
      phone_number: '13800138000',
      phone_number_verified: false,
      email: 'zhang@example.cn',
      id_type: 'resident_id',
      id_number: ID_A,
      real_name_level: 1,
    });
  });

  it('rotates refresh tokens and treats reuse of a rotated one as theft', async () => {
    const first = tokens.refresh_token!;
    const refreshed = await oidc.refreshTokenGrant(rp, first);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(first);
    expect(refreshed.claims()!.sub).toBe(sub);
    await expect(oidc.refreshTokenGrant(rp, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // reuse revoked the whole grant, including the newest refresh token
    await expect(oidc.refreshTokenGrant(rp, refreshed.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const intro = await oidc.tokenIntrospection(rp, refreshed.access_token);
    expect(intro.active).toBe(false);
  });

  it('introspects and revokes access tokens', async () => {
    const { callback, verifier, state } = await login(user, rp); // SSO: no form this time
    const t = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const intro = await oidc.tokenIntrospection(rp, t.access_token);
    expect(intro).toMatchObject({ active: true, sub, client_id: app.client_id });
    await oidc.tokenRevocation(rp, t.access_token);
    expect((await oidc.tokenIntrospection(rp, t.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(rp, t.access_token, sub)).rejects.toBeTruthy();
  });

  it('rejects a second redemption of the same code and revokes what the first issued', async () => {
    const { callback, verifier, state } = await login(user, rp);
    const t = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    await expect(oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp, t.access_token)).active).toBe(false);
  });

  it('issues client_credentials tokens', async () => {
    const t = await oidc.clientCredentialsGrant(rp, {});
    expect(t.access_token).toBeTruthy();
    const intro = await oidc.tokenIntrospection(rp, t.access_token);
    expect(intro).toMatchObject({ active: true, client_id: app.client_id });
  });

  it('signs out with RP-initiated logout and notifies the app over the back channel', async () => {
    const { callback, verifier, state } = await login(user, rp);
    const t = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: state });
    const endUrl = oidc.buildEndSessionUrl(rp, { id_token_hint: t.id_token!, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' });
    const confirm = await user.follow(endUrl.toString());
    const html = await confirm.res.text();
    expect(html).toContain('退出登录');
    const action = html.match(/<form[^>]*action="([^"]+)"/)![1];
    const done = await user.postForm(new URL(action, s.issuer).toString(), { ...formFields(html), logout: 'yes' }, POST_LOGOUT);
    expect(done.url).toBe(`${POST_LOGOUT}?state=bye`);
    await expect.poll(() => backchannel.tokens.length, { timeout: 5000 }).toBeGreaterThan(0);
    const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
    const { payload } = await jose.jwtVerify(backchannel.tokens.at(-1)!, jwks, { issuer: s.issuer, audience: app.client_id });
    expect(payload.sub).toBe(sub);
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    // the session is gone: a new authorization shows the login form again
    const again = await user.follow(
      oidc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).toString(),
      REDIRECT,
    );
    expect(again.url).toContain('/interaction/');
    expect(await again.res.text()).toContain('name="identifier"');
  });
});

describe('a public client (SPA / mobile)', () => {
  it('must use PKCE and gets tokens without a secret', async () => {
    const pub = await client(s, { department: 'GA', redirectUris: [REDIRECT], public: true });
    expect(pub.client_secret).toBeUndefined();
    const config = await discover(pub.client_id);
    const user = new HttpUser();
    const { callback, verifier, state } = await login(user, config, { scope: 'openid profile' });
    const t = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(t.claims()!.sub).toBe(sub);
    // without code_challenge the authorization request is refused
    const noPkce = new URL(`${s.issuer}/auth`);
    noPkce.search = new URLSearchParams({ client_id: pub.client_id, response_type: 'code', scope: 'openid', redirect_uri: REDIRECT }).toString();
    const res = await new HttpUser().follow(noPkce.toString(), REDIRECT);
    expect(new URL(res.url).searchParams.get('error')).toBe('invalid_request');
  });
});

describe('a third-party app', () => {
  it('shows the consent page and honours a refusal', async () => {
    const third = await client(s, { redirectUris: [REDIRECT], name: '第三方应用' });
    const config = await discover(third.client_id, third.client_secret);
    const user = new HttpUser();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile phone',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const page = await user.follow(url.toString(), REDIRECT);
    const loginHtml = await page.res.text();
    const consentPage = await user.postForm(new URL(formAction(loginHtml, '/login'), s.issuer).toString(), { ...formFields(loginHtml), identifier: '13800138000', password: PASSWORD }, REDIRECT);
    const html = await consentPage.res.text();
    expect(html).toContain('第三方应用');
    expect(html).toContain('手机号码');
    expect(html).toMatch(/<button[^>]*name="consent"[^>]*value="yes"/);
    const denied = await user.postForm(new URL(formAction(html, '/confirm'), s.issuer).toString(), { ...formFields(html), consent: 'no' }, REDIRECT);
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied');
  });
});

describe('signing algorithms', () => {
  it('signs ID tokens with RS256 for a client that asks for it, and publishes both key types', async () => {
    const rs = await client(s, { department: 'GA', redirectUris: [REDIRECT], idTokenAlg: 'RS256' });
    const config = await discover(rs.client_id, rs.client_secret);
    const { callback, verifier, state } = await login(new HttpUser(), config, { scope: 'openid' });
    const t = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    expect(jose.decodeProtectedHeader(t.id_token!).alg).toBe('RS256');
    const jwks = (await (await fetch(`${s.issuer}/jwks`)).json()) as { keys: { kty: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kty).sort()).toEqual(['EC', 'RSA']);
    for (const k of jwks.keys) expect(k.d).toBeUndefined(); // never a private part
  });
});
