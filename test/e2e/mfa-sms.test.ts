// SMS codes as a second factor over HTTP: a person with a verified phone turns SMS on in the account
// centre (current password), signs in with the password to an app with --min-acr mfa, asks for a
// code on the second-factor page (button action=send_code), gets it from the local Aliyun gateway
// and types it into `otp`: acr mfa, amr pwd + sms + mfa. A wrong code reads like a wrong TOTP code;
// a code works once; SMS goes off again with the fresh second factor of that sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startAliyunGateway, type SmsGateway } from '../helpers/sms-gateways.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';

const ACR_MFA = 'urn:yitong:acr:mfa';
const FAILED = '验证未通过，请重试';
const ID = '110101199003071006';
const PHONE = '13900139000';
const ID_UNVERIFIED = '110101199003071014';

interface App {
  rp: oidc.Configuration;
  redirect: string;
}
interface Flow {
  user: HttpUser;
  app: App;
  verifier: string;
  state: string;
  page: { url: string; res: Response };
  html: string;
}

let s: TestServer;
let gw: SmsGateway;
let plain: App;
let strict: App;

async function addApp(name: string, redirect: string, extra: Record<string, unknown> = {}): Promise<App> {
  const reg = await client(s, { name, department: 'GA', redirectUris: [redirect], grantTypes: ['authorization_code'], ...extra });
  const rp = await oidc.discovery(new URL(s.issuer), reg.client_id, reg.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { rp, redirect };
}

async function start(user: HttpUser, app: App): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(app.rp, { redirect_uri: app.redirect, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const page = await user.follow(url.toString(), app.redirect);
  return { user, app, verifier, state, page, html: page.url.startsWith(app.redirect) ? '' : await page.res.text() };
}

async function submit(f: Flow, action: string, fields: Record<string, string>): Promise<Flow> {
  const page = await f.user.postForm(new URL(formAction(f.html, action), s.issuer).toString(), { ...formFields(f.html), ...fields }, f.app.redirect);
  return { ...f, page, html: page.url.startsWith(f.app.redirect) ? '' : await page.res.text() };
}

async function tokens(f: Flow) {
  expect(f.page.url.startsWith(f.app.redirect), `expected the app's callback, got ${f.page.url}: ${f.html.slice(0, 400)}`).toBe(true);
  return oidc.authorizationCodeGrant(f.app.rp, new URL(f.page.url), { pkceCodeVerifier: f.verifier, expectedState: f.state });
}

const auditEvents = async (actor: string) => (await s.app.db.selectFrom('audit_log').select(['event', 'outcome']).where('actor', '=', actor).orderBy('seq').execute()).map((r) => `${r.event}:${r.outcome}`);

beforeAll(async () => {
  gw = await startAliyunGateway();
  s = await startTestServer({ ...gw.env, LOGIN_DELAY_AFTER: '0', LOGIN_LOCK_AFTER: '10' });
  await department(s);
  plain = await addApp('户籍办理', 'https://plain.example.gov.cn/cb');
  strict = await addApp('公积金提取', 'https://strict.example.gov.cn/cb', { minAcr: ACR_MFA });
  await person(s, { idNumber: ID, name: '王五', phone: PHONE, phoneVerified: true, email: 'w5@example.cn' });
  await person(s, { idNumber: ID_UNVERIFIED, name: '赵六', phone: '13900139001', phoneVerified: false, email: 'z6@example.cn' });
});

afterAll(async () => {
  await s?.close();
  await gw?.close();
});

describe('SMS codes as a second factor', () => {
  let sub = '';

  it('a person without a verified phone cannot turn SMS on', async () => {
    const user = new HttpUser();
    await tokens(await submit(await start(user, plain), '/login', { identifier: ID_UNVERIFIED, password: PASSWORD }));
    const page = await user.follow(`${s.issuer}/account/security/mfa`);
    const html = await page.res.text();
    expect(html).toContain('id="sms-no-phone"');
    expect(html).not.toContain('action="/account/security/mfa/sms"');
    const r = await user.postForm(`${s.issuer}/account/security/mfa/sms`, { ...formFields(html), current_password: PASSWORD });
    expect(r.res.status).toBe(400);
  });

  it('turns SMS on in the account centre with the current password (audited)', async () => {
    const user = new HttpUser();
    sub = (await tokens(await submit(await start(user, plain), '/login', { identifier: ID, password: PASSWORD }))).claims()!.sub;
    let page = await user.follow(`${s.issuer}/account/security/mfa`);
    let html = await page.res.text();
    expect(html).toContain('id="sms-enable"');
    const refused = await user.postForm(`${s.issuer}/account/security/mfa/sms`, { ...formFields(html), current_password: 'wrong-password-1' });
    expect(refused.res.status).toBe(400);
    page = await user.postForm(`${s.issuer}/account/security/mfa/sms`, { ...formFields(html), current_password: PASSWORD });
    expect(page.url).toBe(`${s.issuer}/account/security/mfa?done=sms_on`);
    html = await page.res.text();
    expect(html).toContain('短信验证码已启用');
    expect(html).toContain('id="sms-disable"');
    expect(await auditEvents(sub)).toContain('mfa.sms.enable:success');
  });

  it('signs in with the password and an SMS code to an app with --min-acr mfa; a wrong code reads like a wrong TOTP code', async () => {
    const user = new HttpUser();
    let f = await submit(await start(user, strict), '/login', { identifier: ID, password: PASSWORD });
    expect(f.html).toContain('name="otp"');
    expect(f.html).toMatch(/<button[^>]*name="action"[^>]*value="send_code"/);

    const before = gw.messages.length;
    f = await submit(f, '/mfa', { action: 'send_code' });
    expect(f.page.res.status).toBe(200);
    expect(f.html).toContain('验证码已发送至');
    expect(f.html).not.toContain(PHONE); // masked
    const code = await gw.codeFor(PHONE, before);

    // a second send within a minute waits
    const again = await submit(f, '/mfa', { action: 'send_code' });
    expect(again.page.res.status).toBe(429);
    expect(gw.messages.length).toBe(before + 1);

    const wrongCode = code === '000000' ? '111111' : '000000';
    const wrong = await submit(f, '/mfa', { otp: wrongCode });
    expect(wrong.page.res.status).toBe(401);
    expect(wrong.html).toContain(FAILED);

    f = await submit(wrong, '/mfa', { otp: code });
    const claims = (await tokens(f)).claims()!;
    expect(claims.acr).toBe(ACR_MFA);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'sms', 'mfa']));
    expect(claims.amr).not.toContain('otp');
    expect(await auditEvents(sub)).toContain('mfa.verify:success');

    // the code was used up: the same code does not sign in again
    const other = new HttpUser();
    const g = await submit(await start(other, strict), '/login', { identifier: ID, password: PASSWORD });
    const replay = await submit(g, '/mfa', { otp: code });
    expect(replay.page.res.status).toBe(401);
    expect(replay.html).toContain(FAILED);

    // once on, a password sign-in at an app without a minimum asks for the second factor too
    const third = await submit(await start(new HttpUser(), plain), '/login', { identifier: ID, password: PASSWORD });
    expect(third.page.url.startsWith(plain.redirect)).toBe(false);
    expect(third.html).toMatch(/<button[^>]*name="action"[^>]*value="send_code"/);

    // with the fresh second factor of this sign-in, SMS goes off again (audited)
    let page = await user.follow(`${s.issuer}/account/security/mfa`);
    const html = await page.res.text();
    page = await user.postForm(`${s.issuer}/account/security/mfa/sms/disable`, { ...formFields(html) });
    expect(page.url).toBe(`${s.issuer}/account/security/mfa?done=sms_off`);
    expect(await auditEvents(sub)).toContain('mfa.sms.disable:success');
  });
});
