// The account centre in Debian's headless Chromium, on a desktop (1280x800) and a phone (390x844):
// sign in through the normal login, the masked profile, a password change with a field-level error
// first (the other device's app is told over the back channel), ending another device's session
// through its confirmation page, revoking an app, the own activity, the personal data download and
// a cancellation request. No page needs a script, none scrolls sideways on the phone, and every
// page is photographed (ACCOUNT_SHOTS, default /tmp/yitong-account-shots) for a look by a person.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { launchChromium, skipBrowser, watchedPage, type WatchedPage } from './chromium.ts';
import { startDepartmentalApp, type DepartmentalApp } from './rp.ts';

const SHOTS = process.env.ACCOUNT_SHOTS ?? '/tmp/yitong-account-shots';
const NEW_PASSWORD = 'Browser#2026ok';
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800, id: '11010519491231002X', phone: '13800138000' },
  { name: 'phone', width: 390, height: 844, id: '440524188001010014', phone: '13912345678' },
] as const;

describe.skipIf(skipBrowser)('the account centre in a real browser', () => {
  let s: TestServer;
  let browser: Browser;
  let rpApp: DepartmentalApp;
  let receiver: BackchannelReceiver;
  let clientId: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer({ LOGOUT_POLL_MS: '100' });
    await department(s, 'GA', '公安局');
    receiver = await startBackchannelReceiver();
    rpApp = await startDepartmentalApp('户籍办理', s.issuer);
    const reg = await client(s, { name: '户籍办理', department: 'GA', redirectUris: [rpApp.redirectUri], postLogoutRedirectUris: [rpApp.postLogoutUri], backchannelLogoutUri: receiver.url });
    clientId = reg.client_id;
    await rpApp.connect(reg.client_id, reg.client_secret);
    for (const v of VIEWPORTS) await person(s, { idNumber: v.id, name: v.name === 'desktop' ? '张三' : '欧阳明月', phone: v.phone, email: `${v.name}@example.cn` });
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await rpApp?.close();
    await receiver?.close();
    await s?.close();
  });

  async function open(viewport: { width: number; height: number }): Promise<WatchedPage> {
    const w = await watchedPage(browser);
    contexts.push(w.context);
    await w.page.setViewportSize(viewport);
    return w;
  }

  async function login(page: Page, id: string, password: string) {
    await page.waitForSelector('input[name=identifier]');
    await page.fill('input[name=identifier]', id);
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/login"] button[type=submit]')]);
  }

  async function shot(page: Page, viewport: string, name: string) {
    await page.screenshot({ path: path.join(SHOTS, `${viewport}-${name}.png`), fullPage: true });
    // phone first: nothing wider than the screen
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(Number(overflow), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  async function logoutFor(sub: string) {
    const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
    for (const t of receiver.tokens) {
      const { payload } = await jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: clientId });
      if (payload.sub === sub) return payload;
    }
    return undefined;
  }

  for (const v of VIEWPORTS) {
    it(`works end to end on the ${v.name} (${v.width}x${v.height})`, async () => {
      const sub = (await s.app.db.selectFrom('persons').select('sub').where('phone_bidx', '=', s.app.keyring.blindIndex('phone', v.phone)).executeTakeFirstOrThrow()).sub;
      // another device, signed in at the departmental app
      const other = await open({ width: 1280, height: 800 });
      await other.page.goto(`${rpApp.base}/login`);
      await login(other.page, v.id, PASSWORD);
      await other.page.waitForSelector('#who');

      const me = await open(v);
      const { page } = me;
      await page.goto(`${s.issuer}/account`);
      await shot(page, v.name, '00-login');
      await login(page, v.id, PASSWORD);
      expect(page.url()).toBe(`${s.issuer}/account`);
      expect(await page.locator('#profile-id').first().textContent()).toContain(`${v.id.slice(0, 6)}********${v.id.slice(-4)}`);
      expect(await page.locator('#profile-phone').first().textContent()).toContain(`${v.phone.slice(0, 3)}****${v.phone.slice(-4)}`);
      expect(await page.content()).not.toContain(v.id);
      await shot(page, v.name, '01-home');

      // password: a field-level error first, then the change; the other device's app is told
      await page.click('nav a[href="/account/security"]');
      await shot(page, v.name, '02-security');
      await page.fill('#pw-current', PASSWORD);
      await page.fill('#pw-new', 'short');
      await Promise.all([page.waitForNavigation(), page.click('form[action="/account/security/password"] button[type=submit]')]);
      expect(await page.locator('#new_password-error').first().textContent()).toContain('密码至少 8 位');
      await shot(page, v.name, '03-security-error');
      await page.fill('#pw-current', PASSWORD);
      await page.fill('#pw-new', NEW_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/account/security/password"] button[type=submit]')]);
      expect(await page.locator('.notice').first().textContent()).toContain('密码已修改');
      await expect.poll(() => logoutFor(sub), { timeout: 10_000 }).toBeTruthy();
      receiver.tokens.length = 0;

      // the other device signs in again; this one signs it out through the confirmation page
      await other.page.goto(`${rpApp.base}/login`);
      await login(other.page, v.id, NEW_PASSWORD);
      await other.page.waitForSelector('#who');
      await page.click('nav a[href="/account/sessions"]');
      expect(await page.locator('.session.current').count()).toBe(1);
      expect(await page.locator('.session:not(.current)').count()).toBe(1);
      await shot(page, v.name, '04-sessions');
      await Promise.all([page.waitForNavigation(), page.click('.session:not(.current) a.end-session')]);
      await shot(page, v.name, '05-confirm-end-session');
      await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
      expect(await page.locator('.notice').first().textContent()).toContain('已退出该设备上的登录');
      expect(await page.locator('.session').count()).toBe(1);
      await expect.poll(() => logoutFor(sub), { timeout: 10_000 }).toBeTruthy();
      receiver.tokens.length = 0;

      // this browser uses the app too (single sign-on), then revokes it
      await page.goto(`${rpApp.base}/login`);
      await page.waitForSelector('#who');
      await page.goto(`${s.issuer}/account/apps`);
      expect(await page.locator('.app').count()).toBe(1);
      await shot(page, v.name, '06-apps');
      await Promise.all([page.waitForNavigation(), page.click('.app a.revoke')]);
      await shot(page, v.name, '07-confirm-revoke');
      await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
      expect(await page.locator('.notice').first().textContent()).toContain('已撤销该应用的授权');
      expect(await page.locator('.app').count()).toBe(0);
      await expect.poll(() => logoutFor(sub), { timeout: 10_000 }).toBeTruthy();

      await page.click('nav a[href="/account/activity"]');
      expect(await page.locator('.event').first().isVisible()).toBe(true);
      expect(await page.locator('.events').textContent()).toContain('修改密码');
      await shot(page, v.name, '08-activity');

      // personal data: the download
      await page.click('nav a[href="/account/data"]');
      await shot(page, v.name, '09-data');
      await page.fill('#export-pw', NEW_PASSWORD);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('form[action="/account/data/export"] button[type=submit]')]);
      const doc = JSON.parse(fs.readFileSync(await download.path(), 'utf8')) as { person: { id_number: string; sub: string } };
      expect(doc.person).toMatchObject({ id_number: v.id, sub });

      // cancellation: the checkbox is required, then the request signs out everywhere
      await page.goto(`${s.issuer}/account/cancel`);
      await shot(page, v.name, '10-cancel');
      await page.fill('#cancel-pw', NEW_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/account/cancel"] button[type=submit]')]);
      expect(await page.locator('#confirm-error').first().isVisible()).toBe(true);
      await shot(page, v.name, '11-cancel-error');
      await page.check('#cancel-confirm');
      await page.fill('#cancel-pw', NEW_PASSWORD);
      await Promise.all([page.waitForNavigation(), page.click('form[action="/account/cancel"] button[type=submit]')]);
      expect(await page.locator('h1').first().textContent()).toContain('注销申请已提交');
      await shot(page, v.name, '12-cancel-done');

      // English, and the sign-out link leads to the logout confirmation
      const en = await open(v);
      await en.page.goto(`${s.issuer}/account?lang=en`);
      await login(en.page, v.id, NEW_PASSWORD); // signing in withdraws the request
      expect(await en.page.locator('h1').first().textContent()).toContain('My account');
      expect(await en.page.locator('.notice').first().textContent()).toContain('withdrawn');
      await shot(en.page, v.name, '13-home-en');
      await Promise.all([en.page.waitForNavigation(), en.page.click('a.signout')]);
      expect(await en.page.locator('button[name=logout][value=yes]').first().isVisible()).toBe(true);

      // field errors answer 400 on purpose; nothing else failed and no script was refused
      const unexpected = (w: WatchedPage) => w.problems.filter((p) => !/^HTTP 400 POST .*\/account\/(security\/password|cancel)$/.test(p));
      expect(unexpected(me)).toEqual([]);
      expect(unexpected(other)).toEqual([]);
      expect(unexpected(en)).toEqual([]);
    });
  }
});
