// ui_locales: the app's language wish holds for the sign-in it starts (login, consent, errors of
// that sign-in); the person's own later ?lang choice wins from then on; the next sign-in without
// ui_locales forgets it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

const REDIRECT = 'https://app.example.cn/callback';

let s: TestServer;
let thirdParty: string;

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  // not bound to a department: shows the consent page
  thirdParty = (await client(s, { name: '第三方应用', redirectUris: [REDIRECT] })).client_id;
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

async function authUrl(extra: Record<string, string> = {}) {
  const u = new URL(`${s.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: thirdParty,
    response_type: 'code',
    scope: 'openid profile phone',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return u.toString();
}

const lang = (html: string) => html.match(/<html lang="([^"]+)"/)?.[1];
const h1 = (html: string) => html.match(/<h1>([^<]*)<\/h1>/)?.[1];

async function loginPage(user: HttpUser, extra: Record<string, string> = {}) {
  const page = await user.follow(await authUrl(extra), REDIRECT);
  expect(page.url).toContain('/interaction/');
  const html = await page.res.text();
  return { url: page.url, html, action: new URL(formAction(html, '/login'), s.issuer).toString() };
}

describe('ui_locales', () => {
  it('takes the first supported language of the list, whatever its case or region', async () => {
    for (const [list, expected] of [
      ['fr en-GB', 'en'],
      ['EN zh-CN', 'en'],
      ['de zh', 'zh-CN'],
      ['zh-Hans-CN en', 'zh-CN'],
    ] as const) {
      const p = await loginPage(new HttpUser(), { ui_locales: list });
      expect(lang(p.html), list).toBe(expected);
      expect(h1(p.html), list).toBe(expected === 'en' ? 'Sign in' : '统一身份认证登录');
    }
  });

  it('outranks an earlier remembered choice and Accept-Language; unsupported lists change nothing', async () => {
    const user = new HttpUser();
    user.jar.set('yt_lang', 'zh-CN');
    expect(lang((await loginPage(user, { ui_locales: 'en' })).html)).toBe('en');
    expect(lang((await loginPage(new HttpUser({ 'accept-language': 'en-US,en' }), { ui_locales: 'zh-CN' })).html)).toBe('zh-CN');
    expect(lang((await loginPage(new HttpUser({ 'accept-language': 'en' }), { ui_locales: 'fr de' })).html)).toBe('en');
  });

  it('holds for every page of that sign-in: a failed login and the consent page', async () => {
    const user = new HttpUser();
    const p = await loginPage(user, { ui_locales: 'en' });
    const failed = await user.postForm(p.action, { ...formFields(p.html), identifier: ID_A, password: 'Wrong@Password1' }, REDIRECT);
    const failedHtml = await failed.res.text();
    expect(lang(failedHtml)).toBe('en');
    expect(failedHtml).toContain('Wrong account or password');
    const consent = await user.postForm(p.action, { ...formFields(p.html), identifier: ID_A, password: PASSWORD }, REDIRECT);
    const consentHtml = await consent.res.text();
    expect(consentHtml).toContain('name="consent"');
    expect(lang(consentHtml)).toBe('en');
    expect(h1(consentHtml)).toBe('Authorise access');
  });

  it('gives way to the person\'s explicit ?lang choice for the rest of that sign-in', async () => {
    const user = new HttpUser();
    const p = await loginPage(user, { ui_locales: 'en' });
    expect(lang(p.html)).toBe('en');
    const switched = await user.follow(`${p.url}?lang=zh-CN`);
    expect(lang(await switched.res.text())).toBe('zh-CN');
    const failed = await user.postForm(p.action, { ...formFields(p.html), identifier: ID_A, password: 'Wrong@Password1' }, REDIRECT);
    expect(lang(await failed.res.text())).toBe('zh-CN');
    // the consent page belongs to a new interaction of the same sign-in: still the person's choice
    const consent = await user.postForm(p.action, { ...formFields(p.html), identifier: ID_A, password: PASSWORD }, REDIRECT);
    const consentHtml = await consent.res.text();
    expect(consentHtml).toContain('name="consent"');
    expect(lang(consentHtml)).toBe('zh-CN');
  });

  it('ends with its sign-in: the next one without ui_locales follows the browser again', async () => {
    const user = new HttpUser({ 'accept-language': 'zh-CN,zh' });
    expect(lang((await loginPage(user, { ui_locales: 'en' })).html)).toBe('en');
    expect(lang((await loginPage(user)).html)).toBe('zh-CN');
  });

  it('holds for the errors of that sign-in', async () => {
    // an error answered at the authorization request itself
    const res = await new HttpUser().request(await authUrl({ ui_locales: 'en', redirect_uri: 'https://evil.example.com/' }));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(lang(html)).toBe('en');
    expect(html).toContain('Go back to “第三方应用” or contact its provider.');
    // the sign-in expires while the login page is open
    const user = new HttpUser();
    const p = await loginPage(user, { ui_locales: 'en' });
    const uid = p.action.match(/\/interaction\/([^/]+)\/login/)![1];
    await sql`update oidc_payloads set expires_at = now() - interval '1 minute' where model = 'Interaction' and id = ${uid}`.execute(s.app.db);
    const expired = await user.request(p.url);
    expect(expired.status).toBe(400);
    const expiredHtml = await expired.text();
    expect(lang(expiredHtml)).toBe('en');
    expect(expiredHtml).toContain('The sign-in session has expired');
  });
});
