// Bad input and failures on the citizen pages, over HTTP: missing or forged CSRF tokens, fields sent
// as arrays, oversized bodies, control characters, full-width digits, forged registration tickets,
// unknown interactions, other methods, and an SMS gateway that is down or hangs. Every answer is a
// clear page (field messages where a field is at fault); never a 5xx, never a stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { startAliyunGateway, type SmsGateway } from '../helpers/sms-gateways.ts';
import { client, department } from '../helpers/fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/cb';
let s: TestServer;
let gw: SmsGateway;
let rp: oidc.Configuration;

function expectNoLeak(body: string) {
  expect(body).not.toMatch(/\bat [\w$.<>]+ \(|\bat (?:file:\/\/|node:|\/)[^\s]*:\d+:\d+/);
  expect(body).not.toContain('Error:');
  expect(body).not.toMatch(/node_modules|\/src\/[\w/-]+\.ts/);
}

async function page(user: HttpUser, path: string) {
  const res = await user.request(new URL(path, s.issuer).toString());
  const html = await res.text();
  return { status: res.status, html, fields: formFields(html) };
}

async function raw(user: HttpUser, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await user.request(new URL(path, s.issuer).toString(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
  const html = await res.text();
  expect(res.status).toBeLessThan(500);
  expectNoLeak(html);
  return { status: res.status, html };
}

async function loginUid(user: HttpUser): Promise<string> {
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const r = await user.follow(url.toString(), REDIRECT);
  await r.res.text();
  return r.url.split('/').at(-1)!;
}

beforeAll(async () => {
  gw = await startAliyunGateway();
  s = await startTestServer({ ...gw.env, SMS_TIMEOUT_MS: '300', REGISTER_IP_HOURLY_LIMIT: '3' });
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT] });
  rp = await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
});
afterAll(async () => {
  await s?.close();
  await gw?.close();
});

describe('citizen pages under bad input', () => {
  it('CSRF: a POST without the token, with a forged one, or from a browser without the form cookie is refused with a clear page', async () => {
    for (const path of ['/register', '/account/recover']) {
      const user = new HttpUser();
      const p = await page(user, path);
      expect(p.status).toBe(200);
      expect((await raw(user, path, 'phone=13800138000&action=send_code')).status).toBe(403);
      expect((await raw(user, path, 'csrf=forged&phone=13800138000&action=send_code')).status).toBe(403);
      const stranger = new HttpUser();
      const r = await raw(stranger, path, new URLSearchParams({ csrf: p.fields.csrf, phone: '13800138000', action: 'send_code' }).toString());
      expect(r.status).toBe(403);
      expect(r.html).toContain('页面已过期，请刷新后重试');
    }
    const user = new HttpUser();
    const uid = await loginUid(user);
    expect((await raw(user, `/interaction/${uid}/sms`, 'csrf=forged&phone=13800138000&action=send_code')).status).toBe(403);
    expect(gw.requests).toEqual([]);
  });

  it('arrays, oversized and JSON bodies, control characters, very long values: field messages or a clear refusal', async () => {
    const user = new HttpUser();
    const { fields } = await page(user, '/register');
    const arrays = await raw(user, '/register', `csrf=${fields.csrf}&id_number[]=1&id_number[]=2&name[a]=b&phone=1&phone=2&sms_code=%00%01&password=%E2%80%AE`);
    expect(arrays.status).toBe(400);
    expect(arrays.html).toContain('id="id_number-error"');
    expect(arrays.html).toContain('id="phone-error"');
    const big = await raw(user, '/register', `csrf=${fields.csrf}&name=${'x'.repeat(40_000)}`);
    expect(big.status).toBe(413);
    const json = await raw(user, '/register', JSON.stringify({ csrf: fields.csrf }), { 'content-type': 'application/json' });
    expect(json.status).toBe(403);
    const long = await raw(user, '/account/recover', new URLSearchParams({ csrf: (await page(user, '/account/recover')).fields.csrf, identifier: '1'.repeat(5000), action: 'send_code' }).toString());
    expect(long.status).toBe(400);
    expect(long.html).toContain('id="identifier-error"');
    const nul = await raw(user, '/account/recover', new URLSearchParams({ csrf: fields.csrf, identifier: 'a\u0000b@c.cn\u202e', sms_code: '１２３４５６', new_password: 'x\u0000' }).toString());
    expect(nul.status).toBe(400);
    expect(nul.html).not.toContain('\u0000');
  });

  it('full-width digits and spaces are normalised; a 15-digit ID number is upgraded; a float-mangled one explained', async () => {
    const user = new HttpUser();
    const { fields } = await page(user, '/register');
    const r = await raw(user, '/register', new URLSearchParams({ csrf: fields.csrf, id_number: '1.10105E+17', name: '张三', phone: '＋８６ １３８ ００１３ ８０００', sms_code: '１２３', password: '' }).toString());
    expect(r.html).toMatch(/id="id_number-error">身份证号码被表格软件转成了科学计数法/);
    expect(r.html).not.toContain('id="phone-error"');
    expect(r.html).toMatch(/id="sms_code-error">短信验证码为 6 位数字/);
  });

  it('unknown or finished interactions, forged registration tickets, hostile uids and other methods', async () => {
    const user = new HttpUser();
    for (const path of ['/interaction/not-a-real-uid-123/sms', '/interaction/x/registered?sub=a&exp=99999999999&t=forged']) {
      const res = await user.request(new URL(path, s.issuer).toString());
      expect(res.status).toBe(400);
      expectNoLeak(await res.text());
    }
    const uid = await loginUid(user);
    const forged = await user.request(`${s.issuer}/interaction/${uid}/registered?sub=somebody&exp=${Math.floor(Date.now() / 1000) + 60}&t=AAAA`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('登录会话已过期');
    const hostile = await page(user, '/register?interaction=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(hostile.status).toBe(200);
    expect(hostile.html).not.toContain('<script>');
    expect(formAction(hostile.html, '/register')).toBe('/register');
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await user.request(`${s.issuer}/register`, { method });
      expect(res.status).toBeLessThan(500);
    }
    const lang = await page(user, '/account/recover?lang=xx-YY');
    expect(lang.status).toBe(200);
  });

  it('registration is throttled per client address: the 4th complete form within the hour (limit 3 here) is refused before its code is checked', async () => {
    const user = new HttpUser();
    const { fields } = await page(user, '/register');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const r = await raw(user, '/register', new URLSearchParams({ csrf: fields.csrf, id_number: '440524188001010014', name: '李四', phone: '13900003333', sms_code: '123456', password: 'Hz-7Lq!xPw' }).toString());
      statuses.push(r.status);
      if (i === 3) expect(r.html).toContain('您所在网络的注册尝试过多，请 1 小时后再试。');
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
    // a form with a malformed field is not counted: it never reaches the code
    const bad = await raw(user, '/register', new URLSearchParams({ csrf: fields.csrf, id_number: 'x' }).toString());
    expect(bad.status).toBe(400);
  });

  it('a gateway that is down or hangs: a clear message on the form (the fields kept), never a 500; while the gateway is known to be down every SMS form says so', async () => {
    const user = new HttpUser();
    const { fields } = await page(user, '/register');
    gw.mode = 'hang';
    const t0 = Date.now();
    const hung = await raw(user, '/register', new URLSearchParams({ csrf: fields.csrf, phone: '13900001111', id_number: '11010519491231002X', action: 'send_code' }).toString());
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(hung.status).toBe(200);
    expect(hung.html).toContain('短信服务暂时不可用，请稍后再试。');
    expect(hung.html).toContain('value="11010519491231002X"');

    gw.mode = 'down';
    const uid = await loginUid(user);
    const sms = await page(user, `/interaction/${uid}/sms`);
    const r = await raw(user, `/interaction/${uid}/sms`, new URLSearchParams({ csrf: sms.fields.csrf, phone: '13900002222', action: 'send_code' }).toString());
    expect(r.html).toContain('短信服务暂时不可用');
    gw.mode = 'ok';
  });
});

describe('SMS switched off (production without SMS_PROVIDER)', () => {
  it('every SMS form says so up front and on "get code"; nothing breaks', async () => {
    const off = await startTestServer({ NODE_ENV: 'production' });
    try {
      expect(off.config.sms.provider).toBe('none');
      const user = new HttpUser();
      for (const path of ['/register', '/account/recover']) {
        const res = await user.request(`${off.issuer}${path}`);
        const html = await res.text();
        expect(res.status).toBe(200);
        expect(html).toContain('本平台未开通短信服务');
        const sent = await user.request(`${off.issuer}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ ...formFields(html), phone: '13800138000', identifier: '13800138000', action: 'send_code' }).toString(),
        });
        expect(sent.status).toBe(200);
        expect(await sent.text()).toContain('本平台未开通短信服务');
      }
    } finally {
      await off.close();
    }
  });
});
