// The RP-initiated logout confirmation over HTTP: `logout=yes` signs out of Yitong and is audited as
// a logout; the other answer ("保持登录") keeps the session, returns to the app or says the person is
// still signed in, and is not audited as a logout. Both "after" pages lead back to the app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import type { AuditEventName } from '../../src/audit/events.ts';

const A = { redirect: 'https://ga.example.gov.cn/callback', bye: 'https://ga.example.gov.cn/bye' };
const B = { redirect: 'https://rs.example.gov.cn/callback' };

let s: TestServer;
let rpA: oidc.Configuration;
let rpB: oidc.Configuration;

beforeAll(async () => {
  s = await startTestServer();
  await department(s);
  const a = await client(s, { name: '公安局业务系统', department: 'GA', redirectUris: [A.redirect], postLogoutRedirectUris: [A.bye] });
  const b = await client(s, { name: '人社局业务系统', department: 'GA', redirectUris: [B.redirect] });
  const discover = (c: { client_id: string; client_secret?: string }) =>
    oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  rpA = await discover(a);
  rpB = await discover(b);
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

/** Signs in to the app (the form when there is no session yet); returns the ID token. */
async function signIn(user: HttpUser, rp: oidc.Configuration, redirect: string): Promise<{ idToken: string; sawForm: boolean }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: redirect, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  let page = await user.follow(url.toString(), redirect);
  const sawForm = !page.url.startsWith(redirect);
  if (sawForm) {
    const html = await page.res.text();
    page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, redirect);
  }
  const tokens = await oidc.authorizationCodeGrant(rp, new URL(page.url), { pkceCodeVerifier: verifier });
  return { idToken: tokens.id_token!, sawForm };
}

/** Opens the logout confirmation with `params` and answers it; `logout` absent means "保持登录". */
async function answerLogout(user: HttpUser, params: Record<string, string>, logout: string | undefined, stopAt?: string) {
  const confirm = await user.follow(`${s.issuer}/session/end?${new URLSearchParams(params)}`);
  const html = await confirm.res.text();
  expect(html).toMatch(/<button[^>]*value="yes"[^>]*name="logout"/);
  const fields = { ...formFields(html), ...(logout ? { logout } : {}) };
  const done = await user.postForm(new URL(formAction(html, '/session/end/confirm'), s.issuer).toString(), fields, stopAt);
  return { confirmHtml: html, url: done.url, body: stopAt && done.url.startsWith(stopAt) ? '' : await done.res.text() };
}

const audits = async (event: AuditEventName) => (await s.app.audit.list({ event, limit: 100 })).length;

describe('RP-initiated logout: the person declines', () => {
  it('returns to the app with its state, keeps the session for every app, and audits no logout', async () => {
    const user = new HttpUser();
    const { idToken } = await signIn(user, rpA, A.redirect);
    expect((await signIn(user, rpB, B.redirect)).sawForm).toBe(false);
    const logouts = await audits('logout.success');

    const r = await answerLogout(user, { id_token_hint: idToken, post_logout_redirect_uri: A.bye, state: 'bye' }, undefined, A.bye);
    expect(r.confirmHtml).toContain('选择“保持登录”只退出“公安局业务系统”');
    expect(r.url).toBe(`${A.bye}?state=bye`);

    expect((await signIn(user, rpB, B.redirect)).sawForm).toBe(false);
    expect((await signIn(user, rpA, A.redirect)).sawForm).toBe(false);
    await expect.poll(() => audits('logout.declined')).toBe(1);
    expect(await audits('logout.success')).toBe(logouts);
  });

  it('without a post_logout_redirect_uri says the person is still signed in and leads back to the app', async () => {
    const user = new HttpUser();
    const { idToken } = await signIn(user, rpA, A.redirect);
    const r = await answerLogout(user, { id_token_hint: idToken }, undefined);
    expect(r.url).toContain('/session/end/success');
    expect(r.body).toContain('您仍处于登录状态');
    expect(r.body).not.toContain('已安全退出');
    expect(r.body).toContain(`href="${A.bye}"`);
    expect(r.body).toContain('返回“公安局业务系统”');
    expect((await signIn(user, rpB, B.redirect)).sawForm).toBe(false);
  });

  it('with no app named at all still tells the truth', async () => {
    const user = new HttpUser();
    await signIn(user, rpA, A.redirect);
    const r = await answerLogout(user, {}, undefined);
    expect(r.body).toContain('您仍处于登录状态');
    expect(r.body).toContain('您可以关闭此页面');
    expect((await signIn(user, rpB, B.redirect)).sawForm).toBe(false);
  });
});

describe('RP-initiated logout: the person signs out', () => {
  it('without a post_logout_redirect_uri says so, leads back to the app, ends the session and is audited', async () => {
    const user = new HttpUser();
    const { idToken } = await signIn(user, rpA, A.redirect);
    const logouts = await audits('logout.success');
    const r = await answerLogout(user, { id_token_hint: idToken }, 'yes');
    expect(r.body).toContain('您已安全退出');
    expect(r.body).not.toContain('仍处于登录状态');
    expect(r.body).toContain(`href="${A.bye}"`);
    expect((await signIn(user, rpB, B.redirect)).sawForm).toBe(true);
    await expect.poll(() => audits('logout.success')).toBe(logouts + 1);
  });

  it('speaks the language the app asked for (ui_locales)', async () => {
    const user = new HttpUser();
    const { idToken } = await signIn(user, rpA, A.redirect);
    const confirm = await user.follow(`${s.issuer}/session/end?${new URLSearchParams({ id_token_hint: idToken, ui_locales: 'en' })}`);
    const html = await confirm.res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Stay signed in');
  });
});
