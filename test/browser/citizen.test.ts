// Citizens on their own in a real browser (Debian's Chromium), on a desktop window and on a
// 390×844 phone screen: registration from a departmental app's login (the Tencent test gateway
// checks the TC3 signature and the test reads the code the phone received; the IDV server answers
// match, mismatch and 503), SMS login finished with the Enter key, and password recovery, after
// which both apps the person was signed in to receive a back-channel logout. Every page fits the
// phone's width (no sideways scrolling) and none logs a console error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as jose from 'jose';
import { sql } from 'kysely';
import { launchChromium, skipBrowser, watchedPage, type WatchedPage } from './chromium.ts';
import { startDepartmentalApp, type DepartmentalApp } from './rp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department, person } from '../helpers/fixtures.ts';
import { startTencentGateway, type SmsGateway } from '../helpers/sms-gateways.ts';
import { startIdvServer, type IdvServer } from '../helpers/idv.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { residentId } from '../fixtures/legacy/support.ts';

export const SHOTS = '/tmp/yitong-citizen';
const PHONE_SCREEN = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const PASSWORD = 'Rk8#tVm2qZ';
const interactionPage = /\/interaction\/[^/?]+(\?.*)?$/;

let s: TestServer;
let browser: Browser;
let gw: SmsGateway;
let idv: IdvServer;
let appA: DepartmentalApp;
let appB: DepartmentalApp;
let rxA: BackchannelReceiver;
let rxB: BackchannelReceiver;
const pages: WatchedPage[] = [];
let n = 700;
const newId = () => residentId('310104', '19851120', n++);
let p = 0;
const newPhone = () => `1580000${String(++p).padStart(4, '0')}`;

async function open(size: { width: number; height: number }, locale = 'zh-CN'): Promise<WatchedPage> {
  const w = await watchedPage(browser, locale);
  await w.page.setViewportSize(size);
  pages.push(w);
  return w;
}

/** Expected 4xx answers (a form with field messages, a failed code) are not problems. */
const unexpected = (w: WatchedPage) => w.problems.filter((x) => !/^HTTP 4(00|01|09) POST /.test(x));

/** The page is no wider than the screen: nothing needs sideways scrolling. */
async function fitsWidth(page: Page): Promise<void> {
  type Doc = { documentElement: { scrollWidth: number; clientWidth: number } };
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const d = (globalThis as unknown as { document: Doc }).document.documentElement;
    return { scrollWidth: d.scrollWidth, clientWidth: d.clientWidth };
  });
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}

async function sendCode(page: Page, phone: string): Promise<string> {
  const before = gw.messages.length;
  await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[name=action][value=send_code]')]);
  await page.waitForLoadState('load');
  return gw.codeFor(phone, before);
}

beforeAll(async () => {
  gw = await startTencentGateway();
  idv = await startIdvServer();
  rxA = await startBackchannelReceiver();
  rxB = await startBackchannelReceiver();
  s = await startTestServer({ ...gw.env, ...idv.env, LOGOUT_POLL_MS: '100' });
  await department(s);
  appA = await startDepartmentalApp('公安局业务系统', s.issuer);
  appB = await startDepartmentalApp('人社局业务系统', s.issuer);
  for (const [app, name, rx] of [
    [appA, '公安局业务系统', rxA],
    [appB, '人社局业务系统', rxB],
  ] as const) {
    const c = await client(s, { name, department: 'GA', redirectUris: [app.redirectUri], postLogoutRedirectUris: [app.postLogoutUri], backchannelLogoutUri: rx.url });
    await app.connect(c.client_id, c.client_secret);
  }
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const w of pages) await w.context.close().catch(() => {});
  await browser?.close();
  await appA?.close();
  await appB?.close();
  await s?.close();
  await gw?.close();
  await idv?.close();
  await rxA?.close();
  await rxB?.close();
});

describe.skipIf(skipBrowser)('citizens in Chromium', () => {
  it('desktop: registers from the app’s login (IDV match), lands back in the app signed in at level 2', async () => {
    const w = await open(DESKTOP);
    const { page } = w;
    const id = newId();
    const phone = newPhone();
    idv.people.set(id, '欧阳娜娜');

    await page.goto(`${appA.base}/login`);
    await page.waitForURL(interactionPage);
    await Promise.all([page.waitForURL(/\/register\?interaction=/), page.click('a:has-text("注册账号")')]);
    expect(await page.textContent('h1')).toBe('注册统一身份认证账号');
    await page.screenshot({ path: `${SHOTS}-register-desktop.png`, fullPage: true });

    await page.fill('input[name=id_number]', id);
    await page.fill('input[name=name]', '欧阳娜娜');
    await page.fill('input[name=phone]', phone);
    await page.fill('input[name=password]', PASSWORD);
    const code = await sendCode(page, phone);
    expect(await page.textContent('.notice')).toContain(`验证码已发送至 ${phone.slice(0, 3)}****${phone.slice(-4)}`);
    // the other fields were kept, and the cursor waits in the code field
    expect(await page.inputValue('input[name=id_number]')).toBe(id);
    expect(await page.inputValue('input[name=name]')).toBe('欧阳娜娜');
    expect(await page.inputValue('input[name=password]')).toBe(PASSWORD);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { name: string } } }).document.activeElement.name)).toBe('sms_code');
    await page.screenshot({ path: `${SHOTS}-register-sent-desktop.png`, fullPage: true });

    await page.fill('input[name=sms_code]', code);
    await Promise.all([page.waitForURL(`${appA.base}/callback?**`), page.click('button[type=submit]')]);
    expect((await page.textContent('#who'))?.trim()).toBe('欧阳娜娜');
    const row = await s.app.db.selectFrom('persons').select(['real_name_level', 'phone_verified']).where('name', '=', '欧阳娜娜').executeTakeFirstOrThrow();
    expect(row).toEqual({ real_name_level: 2, phone_verified: true });
    expect(unexpected(w)).toEqual([]);
  });

  it('390×844: IDV mismatch shows the message at the name and creates nothing; corrected, the registration completes', async () => {
    const w = await open(PHONE_SCREEN);
    const { page } = w;
    const id = newId();
    const phone = newPhone();
    idv.people.set(id, '迪丽热巴·迪力木拉提');
    await page.goto(`${s.issuer}/register`);
    await fitsWidth(page);
    await page.screenshot({ path: `${SHOTS}-register-390.png`, fullPage: true });
    await page.fill('input[name=id_number]', id);
    await page.fill('input[name=name]', '迪丽热巴');
    await page.fill('input[name=phone]', phone);
    const code = await sendCode(page, phone);
    await page.fill('input[name=sms_code]', code);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    await page.waitForSelector('#name-error');
    expect(await page.textContent('#name-error')).toContain('姓名与身份证号码不一致');
    expect(await page.getAttribute('input[name=name]', 'aria-invalid')).toBe('true');
    await fitsWidth(page);
    await page.screenshot({ path: `${SHOTS}-register-mismatch-390.png`, fullPage: true });
    expect(await s.app.db.selectFrom('persons').select('id').where('phone_bidx', '=', s.app.keyring.blindIndex('phone', phone)).execute()).toEqual([]);

    await page.fill('input[name=name]', '迪丽热巴·迪力木拉提');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toBe('注册成功');
    expect(await page.textContent('main')).toContain('实名等级 2');
    await fitsWidth(page);
    expect(unexpected(w)).toEqual([]);
  });

  it('390×844: IDV unavailable (503) registers at level 1 and says the check follows', async () => {
    const w = await open(PHONE_SCREEN);
    const { page } = w;
    const phone = newPhone();
    idv.mode = 'down';
    try {
      await page.goto(`${s.issuer}/register`);
      await page.fill('input[name=id_number]', newId());
      await page.fill('input[name=name]', '张伟');
      await page.fill('input[name=phone]', phone);
      await page.fill('input[name=password]', PASSWORD);
      const code = await sendCode(page, phone);
      await page.fill('input[name=sms_code]', code);
      await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    } finally {
      idv.mode = 'ok';
    }
    expect(await page.textContent('h1')).toBe('注册成功');
    expect(await page.textContent('main')).toContain('账号已按实名等级 1 创建');
    await page.screenshot({ path: `${SHOTS}-register-pending-390.png`, fullPage: true });
    expect(unexpected(w)).toEqual([]);
  });

  it('390×844: SMS login from the app, the code submitted with Enter; then recovery in another browser signs the person out of both apps', async () => {
    const phone = newPhone();
    const who = await person(s, { idNumber: newId(), name: '黄小明', phone, phoneVerified: true });
    const w = await open(PHONE_SCREEN);
    const { page } = w;
    await page.goto(`${appA.base}/login`);
    await page.waitForURL(interactionPage);
    await fitsWidth(page);
    await page.screenshot({ path: `${SHOTS}-login-links-390.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/sms$/), page.click('a:has-text("短信验证码登录")')]);
    expect(await page.textContent('h1')).toBe('短信验证码登录');
    await page.fill('input[name=phone]', phone);
    const code = await sendCode(page, phone);
    expect(await page.textContent('.notice')).toContain('如果该手机号已注册并完成验证');
    await fitsWidth(page);
    await page.screenshot({ path: `${SHOTS}-sms-login-390.png`, fullPage: true });
    await page.fill('input[name=sms_code]', code);
    await Promise.all([page.waitForURL(`${appA.base}/callback?**`), page.press('input[name=sms_code]', 'Enter')]);
    expect((await page.textContent('#who'))?.trim()).toBe('黄小明');
    // SSO into the second app
    await page.goto(`${appB.base}/login`);
    await page.waitForURL(`${appB.base}/callback?**`);
    expect((await page.textContent('#who'))?.trim()).toBe('黄小明');
    const told = { a: rxA.tokens.length, b: rxB.tokens.length };

    // recovery, in another browser on the phone, more than a minute later (one SMS per number per
    // minute: a recovery code asked for sooner would not go out, and the page could not say so)
    await sql`update code_counters set expires_at = now() where key like 'cool:%'`.execute(s.app.db);
    const r = await open(PHONE_SCREEN);
    await r.page.goto(`${appA.base}/login`);
    await r.page.waitForURL(interactionPage);
    await Promise.all([r.page.waitForURL(/\/account\/recover\?interaction=/), r.page.click('a:has-text("忘记密码")')]);
    await r.page.fill('input[name=identifier]', who.idNumber!);
    const rc = await sendCode(r.page, phone);
    expect(await r.page.textContent('.notice')).toContain('如果该账号存在并绑定了已验证的手机号');
    await r.page.fill('input[name=sms_code]', rc);
    await r.page.fill('input[name=new_password]', 'Hz-7Lq!xPw');
    await fitsWidth(r.page);
    await r.page.screenshot({ path: `${SHOTS}-recover-390.png`, fullPage: true });
    await Promise.all([r.page.waitForResponse((x) => x.request().method() === 'POST'), r.page.click('button[type=submit]')]);
    expect(await r.page.textContent('h1')).toBe('密码已重置');
    await r.page.screenshot({ path: `${SHOTS}-recover-done-390.png`, fullPage: true });

    // both apps hear of it over the back channel, with a logout token Yitong signed
    await expect.poll(() => [rxA.tokens.length > told.a, rxB.tokens.length > told.b], { timeout: 10_000 }).toEqual([true, true]);
    const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
    for (const t of [rxA.tokens.at(-1)!, rxB.tokens.at(-1)!]) {
      const { payload } = await jose.jwtVerify(t, jwks, { issuer: s.issuer });
      expect(payload.sub).toBe(who.sub);
    }
    // the first browser's Yitong session is gone: the app's next login shows the form again
    await page.goto(`${appA.base}/login`);
    await page.waitForURL(interactionPage);
    expect(await page.isVisible('input[name=password]')).toBe(true);
    // and "back to sign-in" from the recovery page leads to the login page with the new password working
    await Promise.all([r.page.waitForURL(interactionPage), r.page.click('a.onward')]);
    await r.page.fill('input[name=identifier]', phone);
    await r.page.fill('input[name=password]', 'Hz-7Lq!xPw');
    await Promise.all([r.page.waitForURL(`${appA.base}/callback?**`), r.page.click('form[action$="/login"] button[type=submit]')]);
    expect((await r.page.textContent('#who'))?.trim()).toBe('黄小明');
    expect(unexpected(w)).toEqual([]);
    expect(unexpected(r)).toEqual([]);
  });

  it('the English switch on the registration page; malformed input gets field-level messages in English', async () => {
    const w = await open(PHONE_SCREEN);
    const { page } = w;
    await page.goto(`${s.issuer}/register`);
    await Promise.all([page.waitForURL(/lang=en/), page.click('a.lang')]);
    expect(await page.textContent('h1')).toBe('Create your account');
    await page.fill('input[name=id_number]', '11010519491231002');
    await page.fill('input[name=phone]', '12345');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
    expect(await page.textContent('#id_number-error')).toContain('An ID number has 18 characters');
    expect(await page.textContent('#phone-error')).toBe('The mobile number is not valid');
    expect(await page.textContent('#sms_code-error')).toContain('Get a code by SMS');
    expect(await page.textContent('#password-error')).toBe('Choose a password');
    await fitsWidth(page);
    await page.screenshot({ path: `${SHOTS}-register-errors-en-390.png`, fullPage: true });
    expect(unexpected(w)).toEqual([]);
  });
});
