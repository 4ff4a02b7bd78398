// The pages of issue 8 in a real browser (Debian's headless Chromium) on a phone-sized screen:
// the landing page and the 404 page fit 390 px with their footer; after a wrong password the
// cursor is in the password box and the identifier stays; a lock says when to retry; the consent
// page warns before an ID number goes to an app outside government. No CSP refusal anywhere.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const REDIRECT = 'http://127.0.0.1:9/callback'; // never reached: the tests stop at Yitong's pages
const PHONE = { width: 390, height: 844 };

const skip = !fs.existsSync(CHROMIUM) && !process.env.CI;

// The project's TypeScript lib has no DOM types: what the page-side functions use, typed loosely.
// (the functions run in the page, so they name nothing from this module)
type Doc = { document: { documentElement: { scrollWidth: number }; activeElement: { getAttribute(n: string): string | null } | null } };

describe.skipIf(skip)('issue 8 pages on a phone', () => {
  let s: TestServer;
  let browser: Browser;
  let thirdParty: string;

  beforeAll(async () => {
    s = await startTestServer({ LOGIN_LOCK_AFTER: '3', LOGIN_DELAY_AFTER: '100', FOOTER_OPERATOR: '某某市政务服务数据管理局', FOOTER_ICP: '闽ICP备12345678号-1', FOOTER_HOTLINE: '12345' });
    await department(s);
    await person(s);
    thirdParty = (await client(s, { name: '某某科技便民服务', redirectUris: [REDIRECT] })).client_id;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  async function phonePage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: PHONE });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    return { page, problems };
  }

  const fitsWidth = (page: Page) => page.evaluate(() => (globalThis as unknown as Doc).document.documentElement.scrollWidth);
  const focused = (page: Page) => page.evaluate(() => (globalThis as unknown as Doc).document.activeElement?.getAttribute('name') ?? null);

  function authUrl(clientId: string, scope: string) {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    return `${s.issuer}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 'st' })}`;
  }

  it('shows the landing page and the 404 page within 390 px, with the footer', async () => {
    const { page, problems } = await phonePage();
    await page.goto(`${s.issuer}/`);
    expect(await page.textContent('h1')).toBe('一通 · 统一身份认证');
    expect(await page.isVisible('a[href="/orgs"]')).toBe(true);
    expect(await page.textContent('footer')).toContain('某某市政务服务数据管理局');
    expect(await fitsWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: '/tmp/yitong-home-390.png', fullPage: true });

    const res = await page.goto(`${s.issuer}/no/such/page`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('找不到这个页面');
    expect(await fitsWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: '/tmp/yitong-404-390.png', fullPage: true });
    await Promise.all([page.waitForURL(`${s.issuer}/#help`), page.click('a[href="/#help"]')]);
    expect(await page.isVisible('#help')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('keeps the identifier and focuses the password after a wrong password; a lock says when to retry', async () => {
    const { page, problems } = await phonePage();
    await page.goto(authUrl(thirdParty, 'openid profile'));
    expect(await focused(page)).toBe('identifier');
    expect(await page.getAttribute('input[name=identifier]', 'autocomplete')).toBe('username');
    expect(await page.getAttribute('input[name=password]', 'autocomplete')).toBe('current-password');

    const attempt = async (identifier: string, password: string) => {
      await page.fill('input[name=identifier]', identifier);
      await page.fill('input[name=password]', password);
      await Promise.all([page.waitForNavigation(), page.click('form[action$="/login"] button[type=submit]')]);
    };
    await attempt(ID_A, 'Wrong@Password1');
    expect((await page.textContent('.error'))?.trim()).toBe('账号或密码错误，或账号暂时无法登录');
    expect(await page.inputValue('input[name=identifier]')).toBe(ID_A);
    expect(await focused(page)).toBe('password');
    // the person can type the password again straight away
    await page.keyboard.type('Wrong@Password2');
    expect(await page.inputValue('input[name=password]')).toBe('Wrong@Password2');
    expect(await fitsWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: '/tmp/yitong-login-wrong-390.png', fullPage: true });

    await attempt(ID_A, 'Wrong@Password2');
    await attempt(ID_A, 'Wrong@Password3');
    const lock = await page.textContent('.error');
    expect(lock).toMatch(/登录已暂时锁定。请在北京时间 (?:\d{1,2}月\d{1,2}日 )?\d{2}:\d{2} 以后（约 1[45] 分钟后）再试/);
    expect(lock).toContain('服务热线');
    expect(await fitsWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: '/tmp/yitong-login-locked-390.png', fullPage: true });
    expect(problems).toEqual([]);
  });

  it('warns on the consent page before an ID number goes to an app outside government', async () => {
    // the previous test locked 张三's account: start from a clean throttle
    await s.app.db.deleteFrom('login_throttle').execute();
    const { page, problems } = await phonePage();
    await page.goto(authUrl(thirdParty, 'openid profile id_card'));
    await page.fill('input[name=identifier]', ID_A);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/login"] button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('授权确认');
    const main = await page.textContent('main');
    expect(main).toContain('当前登录：张*');
    expect(main).toContain('某某科技便民服务 请求获取您的以下信息：');
    expect(await page.textContent('.warning')).toContain('同意后，它将取得您的身份证号码');
    expect(main).toContain('以后如需撤回授权');
    expect(await page.isVisible('button[name=consent][value=yes]')).toBe(true);
    expect(await fitsWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: '/tmp/yitong-consent-390.png', fullPage: true });
    expect(problems).toEqual([]);
  });
});
