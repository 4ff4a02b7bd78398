// The pages around the protocol over plain HTTP (issue 8): the landing page at /, a 404 page for
// addresses nobody serves (and oidc-provider's own routes untouched), the footer from the
// environment, the login form's autocomplete, focus and hint, a lock that says when to retry (worded
// alike for an unknown identifier), and a consent page that says who is signed in, warns before an
// ID number goes to an app outside government and says how to withdraw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { LoginThrottle } from '../../src/interactions/throttle.ts';
import { personThrottleAccounts } from '../../src/interactions/authenticate.ts';
import { findPersonByIdentifier } from '../../src/accounts/service.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
const LOCK_AFTER = 3;
const FOOTER = {
  FOOTER_OPERATOR: '某某市政务服务数据管理局',
  FOOTER_ICP: '闽ICP备12345678号-1',
  FOOTER_HOTLINE: '0591-12345',
  FOOTER_PRIVACY_URL: 'https://www.example.gov.cn/privacy',
};

let s: TestServer;
let departmental: string;
let thirdParty: string;
let departmentalWithConsent: string;

beforeAll(async () => {
  s = await startTestServer({ ...FOOTER, LOGIN_LOCK_AFTER: String(LOCK_AFTER), LOGIN_DELAY_AFTER: '100', LOGIN_IP_LOCK_AFTER: '1000' });
  await department(s);
  await person(s);
  departmental = (await client(s, { name: '公安局业务系统', department: 'GA', redirectUris: [REDIRECT] })).client_id;
  thirdParty = (await client(s, { name: '某某科技便民服务', redirectUris: [REDIRECT] })).client_id;
  departmentalWithConsent = (await client(s, { name: '公安局开放平台', department: 'GA', consent: true, redirectUris: [REDIRECT] })).client_id;
});

afterAll(async () => {
  await s?.close();
});

async function authUrl(clientId: string, params: Record<string, string> = {}) {
  const u = new URL(`${s.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
    ...params,
  }).toString();
  return u.toString();
}

async function loginPage(clientId = departmental, params: Record<string, string> = {}, user = new HttpUser()) {
  const page = await user.follow(await authUrl(clientId, params), REDIRECT);
  expect(page.url).toContain('/interaction/');
  const html = await page.res.text();
  return { user, html, action: new URL(formAction(html, '/login'), s.issuer).toString(), fields: formFields(html) };
}

async function submitLogin(identifier: string, password: string, clientId = departmental, params: Record<string, string> = {}) {
  const p = await loginPage(clientId, params);
  const done = await p.user.postForm(p.action, { ...p.fields, identifier, password }, REDIRECT);
  return { ...p, done, body: done.url.startsWith(REDIRECT) ? '' : await done.res.text() };
}

/** The attributes of the <input> with this name. */
function input(html: string, name: string): string {
  const m = html.match(new RegExp(`<input[^>]*name="${name}"[^>]*>`));
  expect(m, `input ${name}`).not.toBeNull();
  return m![0];
}

function expectFooter(html: string) {
  expect(html).toContain('<footer');
  expect(html).toContain('某某市政务服务数据管理局');
  expect(html).toMatch(/<a href="https:\/\/beian\.miit\.gov\.cn\/"[^>]*>闽ICP备12345678号-1<\/a>/);
  expect(html).toContain('<a href="tel:059112345">0591-12345</a>'); // tel: digits only
  expect(html).toContain('<a href="https://www.example.gov.cn/privacy">个人信息保护政策</a>');
}

describe('the landing page', () => {
  it('says what Yitong is in zh-CN, links the self-service pages and help, with the footer', async () => {
    const res = await new HttpUser().request(`${s.issuer}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('一通 · 统一身份认证');
    expect(html).toContain('统一登录入口');
    expect(html).toMatch(/<a class="button" href="\/orgs">我的单位<\/a>/);
    expect(html).toContain('id="help"');
    expect(html).toContain('忘记密码怎么办');
    expect(html).toContain('原部门系统账号：部门编码/登录名，如 GA/zhangsan');
    expect(html).toContain('<link rel="stylesheet" href="/assets/app.css">');
    expectFooter(html);
  });

  it('switches to English', async () => {
    const html = await (await new HttpUser().request(`${s.issuer}/?lang=en`)).text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Yitong unified sign-in');
    expect(html).toContain('>My organisations</a>');
    expect(html).toContain('Privacy notice');
    expect(html).toContain('Operated by');
  });
});

describe('addresses nobody serves', () => {
  const unknown = ['/nope', '/interaction/x/y', '/session/end/x', '/orgs/a/b/c/d', '/favicon.ico'];

  it('get a styled 404 page in zh-CN with a way on', async () => {
    for (const path of [...unknown, '/token']) {
      const res = await new HttpUser().request(`${s.issuer}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      const html = await res.text();
      expect(html, path).toContain('<html lang="zh-CN">');
      expect(html, path).toContain('找不到这个页面');
      expect(html, path).toContain('请回到该系统重新点击登录');
      expect(html, path).toContain('href="/"');
      expect(html, path).toContain('href="/#help"');
      expect(html, path).not.toContain('Not Found');
      expectFooter(html);
    }
    const post = await fetch(`${s.issuer}/nope`, { method: 'POST', headers: { accept: 'text/html' } });
    expect(post.status).toBe(404);
    expect(await post.text()).toContain('找不到这个页面');
  });

  it('in English on the switch', async () => {
    const res = await new HttpUser().request(`${s.issuer}/nope?lang=en`);
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Page not found');
    expect(html).not.toContain('找不到这个页面');
  });

  it('answer JSON clients with JSON', async () => {
    for (const path of unknown) {
      const res = await fetch(`${s.issuer}${path}`, { headers: { accept: 'application/json' } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/application\/json/);
      expect(await res.json(), path).toEqual({ error: 'not_found', error_description: 'Page not found' });
    }
  });

  it('leave oidc-provider and our own routes as they were', async () => {
    const discovery = await fetch(`${s.issuer}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(s.issuer);
    expect((await fetch(`${s.issuer}/jwks`)).status).toBe(200);
    const token = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toMatch(/^invalid_(request|client)$/);
    const auth = await fetch(`${s.issuer}/auth`, { headers: { accept: 'text/html' } });
    expect(auth.status).toBe(400);
    expect(await auth.text()).not.toContain('找不到这个页面');
    expect((await fetch(`${s.issuer}/healthz`)).status).toBe(200);
    // a real interaction still works end to end
    const done = await submitLogin(ID_A, PASSWORD);
    expect(done.done.url.startsWith(REDIRECT)).toBe(true);
  });
});

describe('the login form', () => {
  it('lets password managers fill it, with a plain hint for old departmental accounts and the footer', async () => {
    const { html } = await loginPage();
    expect(html).not.toContain('autocomplete="off"');
    expect(input(html, 'identifier')).toContain('autocomplete="username"');
    expect(input(html, 'password')).toContain('autocomplete="current-password"');
    expect(html).toContain('原部门系统账号：部门编码/登录名，如 GA/zhangsan');
    expect(input(html, 'identifier')).toContain('autofocus');
    expect(input(html, 'password')).not.toContain('autofocus');
    expectFooter(html);
  });

  it('keeps the identifier and puts the cursor in the password after a wrong password', async () => {
    const r = await submitLogin('13800138000', 'Wrong@Password1');
    expect(r.done.res.status).toBe(401);
    expect(input(r.body, 'identifier')).toContain('value="13800138000"');
    expect(input(r.body, 'identifier')).not.toContain('autofocus');
    expect(input(r.body, 'password')).toContain('autofocus');
    expect(input(r.body, 'password')).toContain('aria-invalid="true"');
    expect(input(r.body, 'password')).not.toContain('value=');
    // a forgotten password field: the same
    const p = await loginPage();
    const missing = await p.user.postForm(p.action, { ...p.fields, identifier: ID_A, password: '' }, REDIRECT);
    const html = await missing.res.text();
    expect(html).toContain('请填写账号和密码');
    expect(input(html, 'password')).toContain('autofocus');
  });
});

describe('a locked sign-in', () => {
  /** The page with what differs per interaction and per lock taken out. */
  const normalise = (r: Awaited<ReturnType<typeof submitLogin>>, identifier: string) =>
    r.body
      .replaceAll(r.fields.csrf, 'CSRF')
      .replace(/\/interaction\/[^/"]+/g, '/interaction/UID')
      .replace(/interaction=[^&"]+/g, 'interaction=UID')
      .replaceAll(identifier, 'ID')
      .replace(/\d{2}:\d{2}/g, 'HH:MM')
      .replace(/约 \d+ 分钟/g, '约 N 分钟');

  it('says it is locked and when to retry, from the failure that locks it, for an account and an unknown identifier alike', async () => {
    const wrong = 'Wrong@Password1';
    await s.app.db.deleteFrom('login_throttle').execute(); // what earlier tests counted
    const account = [];
    const unknown = [];
    for (let i = 0; i < LOCK_AFTER; i++) {
      account.push(await submitLogin(ID_A, wrong));
      unknown.push(await submitLogin('nobody-at-all', wrong));
    }
    // before the threshold: the ordinary message
    expect(account[0].body).toContain('账号或密码错误，或账号暂时无法登录');
    expect(account[0].body).not.toContain('暂时锁定');
    // the failure that reaches it already says so
    for (const r of [account[LOCK_AFTER - 1], unknown[LOCK_AFTER - 1]]) {
      expect(r.done.res.status).toBe(401);
      expect(r.body).toMatch(/失败次数过多，登录已暂时锁定。请在北京时间 (?:\d{1,2}月\d{1,2}日 )?\d{2}:\d{2} 以后（约 1[45] 分钟后）再试。/);
      expect(r.body).toContain('如果忘记了密码');
      expect(Number(r.done.res.headers.get('retry-after'))).toBeGreaterThan(800);
    }
    expect(normalise(account[LOCK_AFTER - 1], ID_A)).toBe(normalise(unknown[LOCK_AFTER - 1], 'nobody-at-all'));
    // the right password does not get through the lock, and is told the same
    const locked = await submitLogin(ID_A, PASSWORD);
    const lockedUnknown = await submitLogin('nobody-at-all', PASSWORD);
    expect(locked.done.url.startsWith(REDIRECT)).toBe(false);
    expect(locked.body).toContain('登录已暂时锁定');
    expect(normalise(locked, ID_A)).toBe(normalise(lockedUnknown, 'nobody-at-all'));

    // English
    const p = await loginPage();
    const en = await p.user.postForm(`${p.action}?lang=en`, { ...p.fields, identifier: ID_A, password: PASSWORD }, REDIRECT);
    expect(await en.res.text()).toMatch(/sign-in is temporarily locked\. Try again after (?:\d{1,2} [A-Z][a-z]{2}, )?\d{2}:\d{2} China time \(in about 1[45] min\)/);
  });

  it('answers on the person’s other identifiers as for a number nobody has, and still does not let them in', async () => {
    // 张三 is locked through the ID number (previous test). Their mobile number, even with the
    // right password, is answered like a mobile number no account has, tried as often: saying
    // "locked" would tell that the number belongs to the locked ID number.
    const byMobile = [];
    const nobody = [];
    for (let i = 0; i < LOCK_AFTER; i++) {
      byMobile.push(await submitLogin('13800138000', PASSWORD));
      nobody.push(await submitLogin('13900139000', PASSWORD));
    }
    for (const r of byMobile) expect(r.done.url.startsWith(REDIRECT)).toBe(false);
    expect(byMobile[0].body).toContain('账号或密码错误，或账号暂时无法登录');
    for (let i = 0; i < LOCK_AFTER; i++) expect(normalise(byMobile[i], '13800138000'), `attempt ${i + 1}`).toBe(normalise(nobody[i], '13900139000'));
    expect(byMobile[LOCK_AFTER - 1].body).toContain('登录已暂时锁定');

    // an administrator's unlock ends the person's lock and those of their usual identifiers at once
    const person = (await findPersonByIdentifier(s.app, ID_A))!;
    expect(await new LoginThrottle(s.app.db, s.config.throttle).unlock(personThrottleAccounts(s.app, person))).toBe(true);
    expect((await submitLogin(ID_A, PASSWORD)).done.url.startsWith(REDIRECT)).toBe(true);
    expect((await submitLogin('13800138000', PASSWORD)).done.url.startsWith(REDIRECT)).toBe(true);
  });
});

describe('the consent page', () => {
  async function consentPage(clientId: string, params: Record<string, string>) {
    const r = await submitLogin(ID_A, PASSWORD, clientId, params);
    expect(r.body).toContain('/confirm');
    return r.body;
  }

  it('says who is signed in, warns before an ID number goes to an app outside government, and how to withdraw', async () => {
    const html = await consentPage(thirdParty, { scope: 'openid profile id_card' });
    expect(html).toContain('当前登录：<strong>张*</strong>');
    expect(html).not.toContain('张三');
    expect(html).toContain('<strong>某某科技便民服务</strong> 请求获取您的以下信息：');
    expect(html).toContain('证件类型、证件号码、实名等级');
    expect(html).toContain('该应用不属于政府部门。同意后，它将取得您的身份证号码');
    expect(html).toContain('以后如需撤回授权，可在“个人中心 › 已授权应用”（/account/apps）中撤销');
    expect(html).toContain('>0591-12345</a>');
    expectFooter(html);
  });

  it('also warns when the ID number is asked for claim by claim', async () => {
    const html = await consentPage(thirdParty, { scope: 'openid', claims: JSON.stringify({ id_token: { id_number: null } }) });
    expect(html).toContain('证件类型、证件号码、实名等级');
    expect(html).toContain('该应用不属于政府部门');
  });

  it('does not warn for a department’s app or without the ID number', async () => {
    const dept = await consentPage(departmentalWithConsent, { scope: 'openid profile id_card' });
    expect(dept).toContain('证件类型、证件号码、实名等级');
    expect(dept).not.toContain('该应用不属于政府部门');
    const noId = await consentPage(thirdParty, { scope: 'openid profile' });
    expect(noId).not.toContain('该应用不属于政府部门');
  });
});
