// The account centre over HTTP with openid-client apps: sign-in through the shared self-service
// login, the masked profile, ending sessions (one, all others) and revoking an app with the apps
// told over the back channel and their tokens dead at once, password change (policy, other
// sessions ended, this one kept), e-mail change with a code through a local SMTP server, own
// activity only, personal data download, cancellation (withdrawn by signing in; erased by the task
// after the cooling-off period) and bad input without a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { startSmtpServer, type TestSmtp } from '../helpers/smtp.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { createPerson } from '../../src/accounts/service.ts';
import { personStore } from '../../src/accounts/store.ts';

const ID = '11010519491231002X';
const OTHER_ID = '440524188001010014';
const NEW_PASSWORD = 'Neue#Pass2026';
const REDIRECT_A = 'https://ga.example.gov.cn/cb';
const REDIRECT_B = 'https://rs.example.gov.cn/cb';
const REDIRECT_C = 'https://mz.example.gov.cn/cb';

interface App {
  clientId: string;
  rp: oidc.Configuration;
  redirect: string;
  receiver: BackchannelReceiver;
}
type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

let s: TestServer;
let smtp: TestSmtp;
let a: App;
let b: App;
let c: App;
let sub: string;
let password = PASSWORD;

async function addApp(code: string, name: string, redirect: string): Promise<App> {
  const receiver = await startBackchannelReceiver();
  const reg = await client(s, { name, department: code, redirectUris: [redirect], backchannelLogoutUri: receiver.url, grantTypes: ['authorization_code', 'refresh_token'] });
  const rp = await oidc.discovery(new URL(s.issuer), reg.client_id, reg.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { clientId: reg.client_id, rp, redirect, receiver };
}

/** Fills the login form when it shows (the first sign-in of a browser); SSO otherwise. */
async function passLogin(user: HttpUser, page: { url: string; res: Response }, stopAt: string | undefined, identifier = ID, pw = password) {
  if (stopAt && page.url.startsWith(stopAt)) return page;
  const html = await page.res.text();
  if (!html.includes('name="password"')) throw new Error(`expected the login form at ${page.url}: ${html.slice(0, 300)}`);
  return user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier, password: pw }, stopAt);
}

async function signInApp(user: HttpUser, app: App, scope = 'openid profile', identifier = ID): Promise<Tokens> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(app.rp, {
    redirect_uri: app.redirect,
    scope,
    ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const page = await passLogin(user, await user.follow(url.toString(), app.redirect), app.redirect, identifier);
  return oidc.authorizationCodeGrant(app.rp, new URL(page.url), { pkceCodeVerifier: verifier });
}

/** Opens an account page, signing in through the shared self-service login when needed. */
async function accountPage(user: HttpUser, path = '/account', identifier = ID, pw = password): Promise<string> {
  let page = await user.follow(`${s.issuer}${path}`);
  if (page.url !== `${s.issuer}${path}`) page = await passLogin(user, page, undefined, identifier, pw);
  expect(page.url).toBe(`${s.issuer}${path}`);
  expect(page.res.status).toBe(200);
  return page.res.text();
}

async function logoutReceived(app: App, sid: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
  for (const t of app.receiver.tokens) {
    if (jose.decodeJwt(t).sid !== sid) continue;
    const { payload } = await jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: app.clientId, typ: 'logout+jwt' });
    if (payload.sub === sub) return payload;
  }
  return undefined;
}

async function expectDead(app: App, tokens: Tokens) {
  await expect(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect((await oidc.tokenIntrospection(app.rp, tokens.access_token)).active).toBe(false);
}

async function expectAlive(app: App, tokens: Tokens) {
  expect((await oidc.tokenIntrospection(app.rp, tokens.access_token)).active).toBe(true);
}

const csrfOf = (html: string) => formFields(html).csrf;

beforeAll(async () => {
  smtp = await startSmtpServer({ user: 'yitong', pass: 's3cret' });
  s = await startTestServer({ SMTP_URL: smtp.url, SMTP_FROM: '一通 <noreply@yitong.example.gov.cn>', ACCOUNT_ERASURE_EVERY_SECONDS: '1', LOGOUT_POLL_MS: '100' });
  await department(s, 'GA', '公安局');
  await department(s, 'RS', '人社局');
  await department(s, 'MZ', '民政局');
  a = await addApp('GA', '户籍办理', REDIRECT_A);
  b = await addApp('RS', '社保查询', REDIRECT_B);
  c = await addApp('MZ', '婚姻登记', REDIRECT_C);
  sub = (await person(s, { idNumber: ID, name: '张三', phone: '13800138000', email: 'zhang@example.cn' })).sub;
  await person(s, { idNumber: OTHER_ID, name: '李四', phone: '13900139000', email: 'li@example.cn' });
});

afterAll(async () => {
  for (const app of [a, b, c]) await app?.receiver.close();
  await s?.close();
  await smtp?.close();
});

describe('the account centre', () => {
  it('signs in through the normal login and shows the profile masked', async () => {
    const user = new HttpUser();
    const first = await user.follow(`${s.issuer}/account`);
    expect(first.url).toContain('/interaction/'); // the ordinary login page
    const html = await accountPage(user);
    expect(html).toContain('110105********002X');
    expect(html).toContain('138****8000');
    expect(html).toContain('z***@example.cn');
    expect(html).toContain('张*');
    expect(html).not.toContain(ID);
    expect(html).not.toContain('13800138000');
    expect(html).toContain('href="/session/end"'); // sign out
    expect(html).toContain('href="/orgs"'); // my organisations
    // en switch
    const en = await (await user.request(`${s.issuer}/account?lang=en`)).text();
    expect(en).toContain('My account');
    await user.request(`${s.issuer}/account?lang=zh-CN`);
    // /orgs shares the sign-in
    const orgs = await user.follow(`${s.issuer}/orgs`);
    expect(orgs.url).toBe(`${s.issuer}/orgs`);
    expect(await orgs.res.text()).toContain('我的单位');
  });

  it('lists sessions with the current one marked, ends one (its apps told) and then all others', async () => {
    const phone = new HttpUser({ 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1' });
    const ta = await signInApp(phone, a);
    const tablet = new HttpUser({ 'user-agent': 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' });
    const tb = await signInApp(tablet, b);
    const desk = new HttpUser({ 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0' });
    const html = await accountPage(desk, '/account/sessions');
    expect(html).toContain('Safari · iOS');
    expect(html).toContain('Chrome · Android');
    expect(html).toContain('Edge · Windows');
    expect(html).toContain('本机 127.0.0.*');
    expect(html).toContain('户籍办理');
    expect(html.match(/当前设备/g)?.length).toBe(1);
    const current = html.match(/<li class="item session current" data-handle="([\w-]+)"/)![1];
    expect(html).not.toContain(`/account/sessions/${current}/end`); // no end control for this session
    // the phone's session: its own control, a confirmation page, then the end
    const phoneHandle = [...html.matchAll(/data-handle="([\w-]+)"[\s\S]*?<\/li>/g)].find((m) => m[0].includes('iOS'))![1];
    const confirm = await (await desk.request(`${s.issuer}/account/sessions/${phoneHandle}/end`)).text();
    expect(confirm).toContain('请确认');
    const done = await desk.postForm(`${s.issuer}/account/sessions/${phoneHandle}/end`, { csrf: csrfOf(confirm) });
    expect(done.url).toBe(`${s.issuer}/account/sessions?done=session`);
    const after = await done.res.text();
    expect(after).toContain('已退出该设备上的登录');
    expect(after).not.toContain('iOS');
    await expect.poll(() => logoutReceived(a, String(ta.claims()!.sid)), { timeout: 10_000 }).toBeTruthy();
    // its session is gone (the next visit asks for the password), and with it the app's tokens
    expect((await oidc.tokenIntrospection(a.rp, ta.access_token)).active).toBe(false);
    expect(await (await phone.follow(`${s.issuer}/account`)).res.text()).toContain('name="password"');
    await expectAlive(b, tb);
    // all others
    const confirmAll = await (await desk.request(`${s.issuer}/account/sessions/end-others`)).text();
    const all = await desk.postForm(`${s.issuer}/account/sessions/end-others`, { csrf: csrfOf(confirmAll) });
    expect(all.url).toBe(`${s.issuer}/account/sessions?done=others`);
    expect(await all.res.text()).toContain('没有其他设备登录');
    await expect.poll(() => logoutReceived(b, String(tb.claims()!.sid)), { timeout: 10_000 }).toBeTruthy();
    expect((await desk.request(`${s.issuer}/account`)).status).toBe(200); // this one stays
    expect((await s.app.audit.list({ event: 'session.end', actor: sub })).map((e) => e.detail.reason)).toContain('session.end');
  });

  it('revokes an app: refresh invalid_grant, introspection inactive, back-channel logout', async () => {
    const user = new HttpUser();
    const tc = await signInApp(user, c, 'openid profile offline_access');
    const html = await accountPage(user, '/account/apps');
    expect(html).toContain('婚姻登记');
    expect(html).toContain('民政局');
    expect(html).toContain('在您离开后保持访问');
    expect(html).not.toContain('一通 · 个人中心'); // Yitong itself is not an app to revoke
    const confirm = await (await user.request(`${s.issuer}/account/apps/${c.clientId}/revoke`)).text();
    expect(confirm).toContain('婚姻登记');
    const done = await user.postForm(`${s.issuer}/account/apps/${c.clientId}/revoke`, { csrf: csrfOf(confirm) });
    expect(done.url).toBe(`${s.issuer}/account/apps?done=app`);
    expect(await done.res.text()).not.toContain(`data-client-id="${c.clientId}"`);
    await expectDead(c, tc);
    await expect(oidc.fetchUserInfo(c.rp, tc.access_token, sub)).rejects.toMatchObject({ status: 401 });
    await expect.poll(() => logoutReceived(c, String(tc.claims()!.sid)), { timeout: 10_000 }).toBeTruthy();
    expect((await user.request(`${s.issuer}/account`)).status).toBe(200); // still signed in to Yitong
    // an app never granted: a clear 404
    const none = await user.postForm(`${s.issuer}/account/apps/${c.clientId}/revoke`, { csrf: csrfOf(confirm) });
    expect(none.res.status).toBe(404);
  });

  it('changes the password: policy and current password checked per field, other sessions ended, this one kept', async () => {
    const phone = new HttpUser();
    const ta = await signInApp(phone, a);
    const desk = new HttpUser();
    const page = await accountPage(desk, '/account/security');
    const csrf = csrfOf(page);
    const weak = await desk.postForm(`${s.issuer}/account/security/password`, { csrf, current_password: password, new_password: 'abc' });
    expect(weak.res.status).toBe(400);
    const weakHtml = await weak.res.text();
    expect(weakHtml).toContain('id="new_password-error"');
    expect(weakHtml).toContain('密码至少 8 位');
    const wrong = await desk.postForm(`${s.issuer}/account/security/password`, { csrf, current_password: 'Wrong#2026x', new_password: NEW_PASSWORD });
    expect(wrong.res.status).toBe(400);
    expect(await wrong.res.text()).toMatch(/id="current_password-error"[^>]*>当前密码不正确/);
    const ok = await desk.postForm(`${s.issuer}/account/security/password`, { csrf, current_password: password, new_password: NEW_PASSWORD });
    expect(ok.url).toBe(`${s.issuer}/account/security?done=password`);
    password = NEW_PASSWORD;
    await expect.poll(() => logoutReceived(a, String(ta.claims()!.sid)), { timeout: 10_000 }).toBeTruthy();
    expect((await oidc.tokenIntrospection(a.rp, ta.access_token)).active).toBe(false);
    const ended = (await s.app.audit.list({ event: 'session.end', actor: sub })).find((e) => e.detail.reason === 'password.change');
    expect(ended?.detail.sessions).toBeGreaterThanOrEqual(1);
    expect((await desk.request(`${s.issuer}/account`)).status).toBe(200);
    // the new password signs in, the old one no longer
    const fresh = new HttpUser();
    await accountPage(fresh);
    const old = new HttpUser();
    const login = await old.follow(`${s.issuer}/account`);
    const html = await login.res.text();
    const refused = await old.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID, password: PASSWORD });
    expect(await refused.res.text()).toContain('账号或密码错误');
  });

  it('changes the e-mail with a code sent through SMTP', async () => {
    const user = new HttpUser();
    const page = await accountPage(user, '/account/security');
    const csrf = csrfOf(page);
    const bad = await user.postForm(`${s.issuer}/account/security/email`, { csrf, action: 'send_code', email: 'not-an-address', current_password: password });
    expect(bad.res.status).toBe(400);
    expect(await bad.res.text()).toMatch(/id="email-error"[^>]*>电子邮箱格式不正确/);
    const sent = await user.postForm(`${s.issuer}/account/security/email`, { csrf, action: 'send_code', email: 'Zhang.San@Example.GOV.cn', current_password: password });
    expect(sent.res.status).toBe(200);
    const sentHtml = await sent.res.text();
    expect(sentHtml).toContain('验证码已发送至 z***@example.gov.cn');
    expect(sentHtml).toContain('value="Zhang.San@Example.GOV.cn"'); // the other fields kept
    await expect.poll(() => smtp.mails.length).toBe(1);
    const mail = smtp.mails[0];
    expect(smtp.logins).toContainEqual({ username: 'yitong', password: 's3cret' });
    expect(mail.envelopeTo).toEqual(['zhang.san@example.gov.cn']);
    expect(mail.from).toContain('noreply@yitong.example.gov.cn');
    expect(mail.subject).toContain('邮箱验证码');
    const code = mail.text.match(/验证码：(\d{6})/)![1];
    expect(mail.text).toContain(`Code: ${code}`);
    // a second code within a minute is refused
    const again = await user.postForm(`${s.issuer}/account/security/email`, { csrf, action: 'send_code', email: 'zhang.san@example.gov.cn', current_password: password });
    expect(await again.res.text()).toContain('请 1 分钟后再重新发送');
    const wrongCode = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const wrong = await user.postForm(`${s.issuer}/account/security/email`, { csrf, email_code: wrongCode });
    expect(await wrong.res.text()).toMatch(/id="email_code-error"[^>]*>验证码不正确/);
    const ok = await user.postForm(`${s.issuer}/account/security/email`, { csrf, email_code: code });
    expect(ok.url).toBe(`${s.issuer}/account/security?done=email`);
    expect(await (await user.request(`${s.issuer}/account`)).text()).toContain('z***@example.gov.cn');
    const row = await personStore.bySub(s.app.db, sub);
    expect(row!.email_verified).toBe(true);
    expect(row!.email_enc).not.toContain('example'); // sealed
    expect((await s.app.audit.list({ event: 'email.change', actor: sub }))[0]).toMatchObject({ outcome: 'success', detail: { email: 'z***@example.gov.cn' } });
  });

  it('shows the person their own security events and nobody else\u2019s', async () => {
    // the other person signs in at an app this person never used, and fails once
    const other = new HttpUser();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(b.rp, { redirect_uri: REDIRECT_B, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    await passLogin(other, await other.follow(url.toString(), REDIRECT_B), REDIRECT_B, OTHER_ID, PASSWORD);
    const user = new HttpUser();
    const html = await accountPage(user, '/account/activity');
    expect(html).toContain('修改密码');
    expect(html).toContain('更换邮箱');
    expect(html).toContain('结束登录');
    expect(html).toContain('撤销应用授权');
    expect(html).toMatch(/登录[\s\S]*?成功/);
    expect(html).toContain('失败'); // the wrong current password
    const mine = await s.app.audit.list({ actor: sub, limit: 1000 });
    const others = await s.app.audit.list({ event: 'login.success', limit: 1000 });
    const theirs = others.filter((e) => e.actor && e.actor !== sub);
    expect(theirs.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.actor === sub)).toBe(true);
    expect(html).not.toContain('李');
  });

  it('downloads the personal data as JSON after the password, audited', async () => {
    const user = new HttpUser();
    const page = await accountPage(user, '/account/data');
    const noPw = await user.postForm(`${s.issuer}/account/data/export`, { csrf: csrfOf(page) });
    expect(noPw.res.status).toBe(400);
    expect(await noPw.res.text()).toContain('请输入当前密码');
    const res = await user.request(`${s.issuer}/account/data/export`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: csrfOf(page), current_password: password }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="yitong-personal-data-\d{4}-\d{2}-\d{2}\.json"/);
    const doc = (await res.json()) as Record<string, any>;
    expect(doc.person).toMatchObject({ sub, id_number: ID, name: '张三', phone_number: '13800138000', email: 'zhang.san@example.gov.cn', gender: 'female' });
    expect(doc.sessions.some((x: { current: boolean }) => x.current)).toBe(true);
    // second factors are listed, never their secrets (none set up here)
    expect(doc.second_factors).toEqual({ authenticator_app: null, passkeys: [], recovery_codes_left: 0 });
    expect(doc.security_events.length).toBeGreaterThan(3);
    expect(doc.security_events.every((e: { event: string }) => e.event !== 'token.issue')).toBe(true);
    expect((await s.app.audit.list({ event: 'account.export', actor: sub }))[0]).toMatchObject({ outcome: 'success' });
  });

  it('cancels the account: everything ends, signing in during the cooling-off period withdraws, the task erases after it', async () => {
    const phone = new HttpUser();
    const ta = await signInApp(phone, a, 'openid profile offline_access');
    const user = new HttpUser();
    const page = await accountPage(user, '/account/cancel');
    expect(page).toContain('15 天冷静期');
    const unticked = await user.postForm(`${s.issuer}/account/cancel`, { csrf: csrfOf(page), current_password: password });
    expect(unticked.res.status).toBe(400);
    expect(await unticked.res.text()).toMatch(/id="confirm-error"[^>]*>请勾选确认/);
    const done = await user.postForm(`${s.issuer}/account/cancel`, { csrf: csrfOf(page), confirm: 'yes', current_password: password });
    expect(done.res.status).toBe(200);
    expect(await done.res.text()).toContain('注销申请已提交');
    await expect.poll(() => logoutReceived(a, String(ta.claims()!.sid)), { timeout: 10_000 }).toBeTruthy();
    await expectDead(a, ta); // offline access too: the person's right has ended
    const pending = await s.app.db.selectFrom('account_cancellations').selectAll().where('sub', '=', sub).execute();
    expect(pending).toHaveLength(1);
    expect(pending[0].status).toBe('pending');
    expect(pending[0].due_at.getTime() - pending[0].requested_at.getTime()).toBe(15 * 86_400_000);

    // signing in during the cooling-off period withdraws the request
    await new Promise((r) => setTimeout(r, 1100)); // sign-in times have a one-second resolution
    const back = new HttpUser();
    const home = await accountPage(back);
    expect(home).toContain('注销申请已撤回');
    expect((await s.app.db.selectFrom('account_cancellations').select('status').where('sub', '=', sub).executeTakeFirstOrThrow()).status).toBe('withdrawn');
    expect((await s.app.audit.list({ event: 'account.cancel.withdraw', actor: sub }))).toHaveLength(1);

    // asked again, and the period runs out: the task erases the personal data
    const again = await accountPage(back, '/account/cancel');
    const req = await back.postForm(`${s.issuer}/account/cancel`, { csrf: csrfOf(again), confirm: 'yes', current_password: password });
    expect(req.res.status).toBe(200);
    await sql`update account_cancellations set due_at = now() - interval '1 second' where sub = ${sub} and status = 'pending'`.execute(s.app.db);
    await expect.poll(async () => (await personStore.bySub(s.app.db, sub))?.status, { timeout: 10_000 }).toBe('erased');
    const row = (await personStore.bySub(s.app.db, sub))!;
    expect(row).toMatchObject({ name: '已注销', id_number_enc: null, id_number_bidx: null, phone_enc: null, phone_bidx: null, email_enc: null, email_bidx: null, password_hash: null, status: 'erased' });
    expect((await s.app.audit.list({ event: 'account.erase' }))[0]).toMatchObject({ outcome: 'success', detail: { sub } });
    // nobody signs in as it any more; the same person may register again, under a new sub
    const gone = new HttpUser();
    const login = await gone.follow(`${s.issuer}/account`);
    const form = await login.res.text();
    const refused = await gone.postForm(new URL(formAction(form, '/login'), s.issuer).toString(), { ...formFields(form), identifier: ID, password });
    expect(await refused.res.text()).toContain('账号或密码错误');
    const reborn = await createPerson(s.app, { idNumber: ID, name: '张三', password: PASSWORD }, 'test');
    expect(reborn.sub).not.toBe(sub);
  });
});

describe('bad input on the account centre', () => {
  let user: HttpUser;
  let csrf: string;
  beforeAll(async () => {
    user = new HttpUser();
    csrf = csrfOf(await accountPage(user, '/account/security', OTHER_ID, PASSWORD));
  });

  it('refuses POSTs without a session (401) or with a wrong CSRF token (403), changing nothing', async () => {
    const anon = await new HttpUser().postForm(`${s.issuer}/account/security/password`, { csrf: 'x', current_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(anon.res.status).toBe(401);
    const forged = await user.postForm(`${s.issuer}/account/security/password`, { csrf: 'forged', current_password: PASSWORD, new_password: NEW_PASSWORD });
    expect(forged.res.status).toBe(403);
    for (const path of ['/account/sessions/end-others', '/account/cancel', '/account/data/export', `/account/apps/${a.clientId}/revoke`]) {
      expect((await user.postForm(`${s.issuer}${path}`, { csrf: '' })).res.status).toBe(403);
    }
  });

  it('answers odd values, unknown ids and oversized bodies without a 5xx', async () => {
    const weird = ['', ' ', '\u0000', 'x'.repeat(5000), '<script>alert(1)</script>', '１２３４５６', '%00', '../../etc/passwd', '\ud800'];
    for (const v of weird) {
      for (const [path, fields] of [
        ['/account/security/password', { current_password: v, new_password: v }],
        ['/account/security/email', { action: 'send_code', email: v, current_password: v }],
        ['/account/security/email', { email_code: v }],
        ['/account/data/export', { current_password: v }],
        ['/account/cancel', { confirm: v, current_password: v }],
      ] as const) {
        const r = await user.postForm(`${s.issuer}${path}`, { csrf, ...fields });
        expect(r.res.status, `${path} ${JSON.stringify(v).slice(0, 20)}`).toBeLessThan(500);
        expect(await r.res.text()).not.toContain('<script>alert(1)</script>');
      }
    }
    for (const path of ['/account/sessions/zzz/end', '/account/sessions/%00/end', `/account/apps/${encodeURIComponent('no such app')}/revoke`, '/account/apps/%E0%A4%A/revoke']) {
      const g = await user.request(`${s.issuer}${path}`);
      expect(g.status, path).toBeGreaterThanOrEqual(400);
      expect(g.status, path).toBeLessThan(500);
      const p = await user.postForm(`${s.issuer}${path}`, { csrf });
      expect(p.res.status, path).toBeGreaterThanOrEqual(400);
      expect(p.res.status, path).toBeLessThan(500);
    }
    const big = await user.postForm(`${s.issuer}/account/security/password`, { csrf, new_password: 'x'.repeat(40_000) });
    expect(big.res.status).toBe(413);
    const json = await user.request(`${s.issuer}/account/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"confirm":"yes"' });
    expect(json.status).toBeLessThan(500);
    // the person is still there, unchanged
    expect((await user.request(`${s.issuer}/account`)).status).toBe(200);
  });
});
