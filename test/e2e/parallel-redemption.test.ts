// The same code or refresh token redeemed in parallel succeeds at most once, on the real server:
// the behaviour oidc-provider has in memory holds across a shared database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

let s: TestServer;
let rp: oidc.Configuration;
const REDIRECT = 'https://rs.example.gov.cn/cb';

async function codeFor(user: HttpUser) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    scope: 'openid offline_access',
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

beforeAll(async () => {
  s = await startTestServer();
  await department(s, 'RS', '人社局');
  const app = await client(s, { department: 'RS', redirectUris: [REDIRECT] });
  rp = await oidc.discovery(new URL(s.issuer), app.client_id, app.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  await person(s);
});
afterAll(() => s?.close());

describe('parallel redemption', () => {
  const user = new HttpUser();

  it('an authorization code redeemed 10 times at once yields one token response', async () => {
    const { callback, verifier } = await codeFor(user);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, idTokenExpected: true })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
    // reuse was detected, so what the winner got is revoked as well
    const winner = (ok[0] as PromiseFulfilledResult<oidc.TokenEndpointResponse>).value;
    expect((await oidc.tokenIntrospection(rp, winner.access_token)).active).toBe(false);
  });

  it('a refresh token redeemed 10 times at once rotates once and the reuse revokes the grant', async () => {
    const { callback, verifier } = await codeFor(user);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => oidc.refreshTokenGrant(rp, tokens.refresh_token!)));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(ok).toHaveLength(1);
    await expect(oidc.refreshTokenGrant(rp, ok[0].refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
