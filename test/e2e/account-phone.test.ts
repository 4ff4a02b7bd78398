// 更换手机号 in the account centre: a code by SMS to the new number (a local gateway that checks the
// request's signature delivers it), the final submit makes it the verified number; bad input and a
// number verified on another account are refused, field by field, without a 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startAliyunGateway, type SmsGateway } from '../helpers/sms-gateways.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { person, PASSWORD, ID_A, ID_B } from '../helpers/fixtures.ts';
import { findPersonBySub } from '../../src/accounts/service.ts';

let s: TestServer;
let gw: SmsGateway;
let sub: string;
const NEW_PHONE = '13912345678';
const TAKEN_PHONE = '13700001111';

beforeAll(async () => {
  gw = await startAliyunGateway();
  s = await startTestServer(gw.env);
  sub = (await person(s, { idNumber: ID_A, phone: '13800138000', phoneVerified: true })).sub;
  await person(s, { idNumber: ID_B, name: '李四', phone: TAKEN_PHONE, phoneVerified: true, email: null });
});
afterAll(async () => {
  await s?.close();
  await gw?.close();
});

async function phonePage(user: HttpUser): Promise<string> {
  const path = `${s.issuer}/account/security/phone`;
  let page = await user.follow(path);
  if (page.url !== path) {
    const html = await page.res.text();
    page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD });
  }
  expect(page.url).toBe(path);
  return page.res.text();
}

async function post(user: HttpUser, html: string, fields: Record<string, string>) {
  const r = await user.postForm(`${s.issuer}/account/security/phone`, { csrf: formFields(html).csrf, ...fields });
  return { status: r.res.status, url: r.url, html: r.res.status === 200 || r.res.status >= 400 ? await r.res.text() : '' };
}

describe('changing the mobile number in the account centre', () => {
  const user = new HttpUser();

  it('sends a code to the new number and makes it the verified number', async () => {
    const html = await phonePage(user);
    expect(html).toContain('name="phone"');
    expect(html).toContain('name="sms_code"');
    expect(html).toContain('138****8000');
    const before = gw.messages.length;
    const sent = await post(user, html, { phone: NEW_PHONE, action: 'send_code' });
    expect(sent.status).toBe(200);
    expect(sent.html).toContain('139****5678');
    expect(sent.html).toContain(`value="${NEW_PHONE}"`); // the typed number stays in the form
    const code = await gw.codeFor(NEW_PHONE, before);
    const done = await post(user, sent.html, { phone: NEW_PHONE, sms_code: code });
    expect(done.url).toBe(`${s.issuer}/account/security?done=phone`);
    const p = (await findPersonBySub(s.app, sub))!;
    expect(p.phone).toBe(NEW_PHONE);
    expect(p.phoneVerified).toBe(true);
    const audit = await s.app.audit.list({ event: 'phone.change' });
    expect(audit[0]).toMatchObject({ actor: sub, detail: { sub, phone: '139****5678' } });
  });

  it('refuses a malformed number, a wrong code and a number verified on another account', async () => {
    const html = await phonePage(user);
    const bad = await post(user, html, { phone: '12345', action: 'send_code' });
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('手机号码格式不正确');
    const wrong = await post(user, html, { phone: '13911112222', sms_code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('短信验证码');
    const before = gw.messages.length;
    await post(user, html, { phone: TAKEN_PHONE, action: 'send_code' });
    const code = await gw.codeFor(TAKEN_PHONE, before);
    const taken = await post(user, html, { phone: TAKEN_PHONE, sms_code: code });
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('该号码已用于其他账号');
    expect((await findPersonBySub(s.app, sub))!.phone).toBe(NEW_PHONE);
  });

  it('refuses a form without its CSRF token, and strange input is never a 5xx', async () => {
    const html = await phonePage(user);
    const forged = await user.postForm(`${s.issuer}/account/security/phone`, { phone: NEW_PHONE, action: 'send_code' });
    expect(forged.res.status).toBe(403);
    for (const phone of ['\u0000', 'x'.repeat(5000), '+86 139 1234 5678', '１３９１２３４５６７８']) {
      const r = await post(user, html, { phone, sms_code: '\u0000' });
      expect(r.status).toBeLessThan(500);
    }
  });
});
