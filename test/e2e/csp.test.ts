// The content security policy: pages allow no script at all; the one exception is oidc-provider's
// own auto-submit page (response_mode=form_post), whose inline script's hash it adds to script-src.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';

let s: TestServer;
let clientId: string;

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  clientId = (await client(s, { department: 'GA', redirectUris: [REDIRECT] })).client_id;
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

const scriptSrc = (res: Response) => {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  return csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'))?.split(/\s+/).slice(1) ?? [];
};

async function authUrl(extra: Record<string, string> = {}) {
  const u = new URL(`${s.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return u.toString();
}

describe('content security policy', () => {
  it('pages run no script: script-src holds only a fresh nonce that no element carries', async () => {
    const user = new HttpUser();
    const page = await user.follow(await authUrl(), REDIRECT);
    const html = await page.res.text();
    const sources = scriptSrc(page.res);
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatch(/^'nonce-[A-Za-z0-9+/=]{20,}'$/);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('nonce=');
    const again = await user.request(page.url);
    expect(scriptSrc(again)).not.toEqual(sources);
  });

  it('the form_post page allows exactly its own inline script', async () => {
    const user = new HttpUser();
    const page = await user.follow(await authUrl(), REDIRECT);
    const html = await page.res.text();
    await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, REDIRECT);
    const post = await user.follow(await authUrl({ response_mode: 'form_post' }), REDIRECT);
    const body = await post.res.text();
    expect(body).toMatch(/<form method="post" action="https:\/\/ga\.example\.gov\.cn\/callback">/);
    const inline = body.match(/<script>([\s\S]*?)<\/script>/)![1];
    const hash = `'sha256-${crypto.createHash('sha256').update(inline).digest('base64')}'`;
    const sources = scriptSrc(post.res);
    expect(sources).toContain(hash);
    expect(sources.filter((x) => x !== hash).every((x) => x.startsWith("'nonce-"))).toBe(true);
    expect(sources).not.toContain("'unsafe-inline'");
  });
});
