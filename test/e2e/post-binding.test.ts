// The authorization endpoint accepts POST (OIDC Core 3.1.2.1), and so does the end-session endpoint:
// a form POST is answered 303 with the same parameters as a GET, so oidc-provider handles it as it
// handles a GET and its cookies stay SameSite=Lax.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
const POST_LOGOUT = 'https://ga.example.gov.cn/bye';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let s: TestServer;
let rp: oidc.Configuration;
let clientId: string;

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT], postLogoutRedirectUris: [POST_LOGOUT] });
  clientId = c.client_id;
  rp = await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

async function authorizationParams() {
  const verifier = oidc.randomPKCECodeVerifier();
  const params = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st-42',
    nonce: 'n-42',
    ui_locales: 'zh-CN en', // a space must survive the trip
  });
  return { params, verifier };
}

describe('POST /auth', () => {
  const user = new HttpUser();
  let idToken: string;

  it('answers 303 to the same request as a GET; the sign-in completes and the code redeems', async () => {
    const { params, verifier } = await authorizationParams();
    const res = await user.request(`${s.issuer}/auth`, { method: 'POST', headers: FORM, body: params.toString() });
    expect(res.status).toBe(303);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const location = new URL(res.headers.get('location')!, s.issuer);
    expect(location.pathname).toBe('/auth');
    expect([...location.searchParams]).toEqual([...params]);

    const page = await user.follow(location.toString(), REDIRECT);
    const html = await page.res.text();
    expect(html).toContain('name="identifier"');
    const done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'st-42', expectedNonce: 'n-42' });
    expect(tokens.claims()!.name).toBe('张三');
    idToken = tokens.id_token!;
  });

  it('keeps every cookie SameSite=Lax', async () => {
    const { params } = await authorizationParams();
    const res = await fetch(`${s.issuer}/auth?${params}`, { redirect: 'manual' });
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c.toLowerCase()).toContain('samesite=lax');
  });

  it('signs in without the form when the person has a session (single sign-on)', async () => {
    const { params, verifier } = await authorizationParams();
    const done = await user.follow(`${s.issuer}/auth`, REDIRECT, { method: 'POST', headers: FORM, body: params.toString() });
    expect(done.url.startsWith(`${REDIRECT}?`)).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: 'st-42', expectedNonce: 'n-42' });
    expect(tokens.claims()!.sub).toBeTruthy();
  });

  it('leaves conflicting parameters (query and body) to oidc-provider: an error page, no redirect to the app', async () => {
    const { params } = await authorizationParams();
    const res = await new HttpUser().follow(`${s.issuer}/auth?client_id=someone_else`, REDIRECT, { method: 'POST', headers: FORM, body: params.toString() });
    expect(res.url).not.toContain(REDIRECT);
    expect(res.res.status).toBe(400);
    expect(await res.res.text()).toContain('invalid_request');
  });

  it('refuses a body too large for a URL (413) and a body that is not a form (415), with a page', async () => {
    const big = await new HttpUser().request(`${s.issuer}/auth`, { method: 'POST', headers: FORM, body: `client_id=${clientId}&x=${'a'.repeat(10_000)}` });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('请求过大');
    const json = await new HttpUser().request(`${s.issuer}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: clientId }) });
    expect(json.status).toBe(415);
    expect(await json.text()).not.toMatch(/\bat [\w$.<>]+ \(/);
  });

  it('POST /session/end shows the logout confirmation for the session and signs out', async () => {
    const body = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state: 'bye' });
    const res = await user.request(`${s.issuer}/session/end`, { method: 'POST', headers: FORM, body: body.toString() });
    expect(res.status).toBe(303);
    const confirm = await user.follow(new URL(res.headers.get('location')!, s.issuer).toString());
    const html = await confirm.res.text();
    expect(html).toContain('确定要退出统一身份认证吗');
    const action = html.match(/<form[^>]*action="([^"]+)"/)![1];
    const done = await user.postForm(new URL(action, s.issuer).toString(), { ...formFields(html), logout: 'yes' }, POST_LOGOUT);
    expect(done.url).toBe(`${POST_LOGOUT}?state=bye`);
    const { params } = await authorizationParams();
    const again = await user.follow(`${s.issuer}/auth?${params}`, REDIRECT);
    expect(await again.res.text()).toContain('name="identifier"');
  });
});
