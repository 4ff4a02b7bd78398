// Protocol paths a citizen's browser takes besides the plain redirect flow (Chromium, strict CSP on):
// response_mode=form_post delivers the code by oidc-provider's auto-submitting page; an app on
// another site starts sign-in and logout with a form POST (answered 303 to the GET, cookies stay
// SameSite=Lax, single sign-on still works); on the logout confirmation "保持登录" keeps the session,
// returns to the app and is not audited as a logout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { startDepartmentalApp, type DepartmentalApp } from './rp.ts';
import { launchChromium, skipBrowser, watchedPage } from './chromium.ts';
import type { AuditEventName } from '../../src/audit/events.ts';

describe.skipIf(skipBrowser)('protocol paths in a real browser', () => {
  let s: TestServer;
  let browser: Browser;
  /** on the provider's site (127.0.0.1) */
  let appA: DepartmentalApp;
  /** on another site (localhost): its form posts to Yitong are cross-site */
  let appX: DepartmentalApp;
  let clientA: string;

  const interactionPage = /\/interaction\/[^/?]+(\?.*)?$/;

  async function signIn(page: Page, app: DepartmentalApp, path = '/login') {
    await page.goto(`${app.base}${path}`);
    await page.waitForURL(interactionPage);
    await page.fill('input[name=identifier]', ID_A);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${app.base}/callback**`), page.click('form[action$="/login"] button[type=submit]')]);
    expect((await page.textContent('#who'))?.trim()).toBe('张三');
  }

  const auditCount = async (event: AuditEventName) => (await s.app.audit.list({ event, limit: 100 })).length;

  beforeAll(async () => {
    s = await startTestServer();
    await department(s);
    await person(s);
    appA = await startDepartmentalApp('公安局业务系统', s.issuer);
    appX = await startDepartmentalApp('人社局业务系统', s.issuer, { host: 'localhost' });
    for (const app of [appA, appX]) {
      const c = await client(s, { name: app === appA ? '公安局业务系统' : '人社局业务系统', department: 'GA', redirectUris: [app.redirectUri], postLogoutRedirectUris: [app.postLogoutUri] });
      await app.connect(c.client_id, c.client_secret);
      if (app === appA) clientA = c.client_id;
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await appA?.close();
    await appX?.close();
    await s?.close();
  });

  it('response_mode=form_post: the auto-submitting page runs under the CSP and the app receives the code by POST', async () => {
    const { page, problems } = await watchedPage(browser);
    await signIn(page, appA, '/login?mode=form_post');
    expect((await page.textContent('#via'))?.trim()).toBe('POST');
    // SSO: the second time the form_post page is the only Yitong page on the way
    await page.goto(`${appA.base}/login?mode=form_post`);
    await page.waitForURL(`${appA.base}/callback`);
    expect((await page.textContent('#who'))?.trim()).toBe('张三');
    expect(problems).toEqual([]);
  });

  it('logout of a browser without a session passes oidc-provider\'s auto-submitting page and returns to the app', async () => {
    const { page, problems } = await watchedPage(browser);
    const end = new URL(`${s.issuer}/session/end`);
    end.search = new URLSearchParams({ client_id: clientA, post_logout_redirect_uri: appA.postLogoutUri, state: 'bye' }).toString();
    await page.goto(end.toString());
    await page.waitForURL(`${appA.postLogoutUri}?**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
    expect(problems).toEqual([]);
  });

  it('an app on another site signs in and out with form POSTs; the Lax session cookie still gives single sign-on', async () => {
    const { page, problems, shown } = await watchedPage(browser);
    // no session yet: the POST leads to the login form
    await page.goto(`${appX.base}/post-login`);
    await Promise.all([page.waitForURL(interactionPage), page.click('#go')]);
    await page.fill('input[name=identifier]', ID_A);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${appX.base}/callback?**`), page.click('form[action$="/login"] button[type=submit]')]);
    expect((await page.textContent('#who'))?.trim()).toBe('张三');

    // with a session: the cross-site POST signs in without any Yitong page
    const before = shown.length;
    await page.goto(`${appX.base}/post-login`);
    await Promise.all([page.waitForURL(`${appX.base}/callback?**`), page.click('#go')]);
    expect((await page.textContent('#who'))?.trim()).toBe('张三');
    expect(shown.slice(before).filter((u) => u.startsWith(s.issuer))).toEqual([]);

    // RP-initiated logout by POST: the session is recognised (confirmation page), then ended
    await page.goto(`${appX.base}/post-logout`);
    await Promise.all([page.waitForURL(`${s.issuer}/session/end?**`), page.click('#go')]);
    expect(await page.textContent('h1')).toBe('退出登录');
    await Promise.all([page.waitForURL(`${appX.postLogoutUri}?**`), page.click('button[name=logout][value=yes]')]);
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
    await page.goto(`${appX.base}/login`);
    await page.waitForURL(interactionPage);
    expect(problems).toEqual([]);
  });

  it('"保持登录" keeps the session, returns to the app, and is not audited as a logout', async () => {
    const { page, problems, shown } = await watchedPage(browser);
    await signIn(page, appA);
    await page.goto(`${appX.base}/login`);
    await page.waitForURL(`${appX.base}/callback?**`);
    const logouts = await auditCount('logout.success');

    await page.goto(`${appA.base}/logout`);
    await page.waitForURL(`${s.issuer}/session/end?**`);
    expect(await page.textContent('main')).toContain('选择“保持登录”只退出“公安局业务系统”');
    await Promise.all([page.waitForURL(`${appA.postLogoutUri}?**`), page.click('button:not([name=logout])')]);
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye');

    // still signed in: both apps sign in again without the form
    const before = shown.length;
    for (const app of [appX, appA]) {
      await page.goto(`${app.base}/login`);
      await page.waitForURL(`${app.base}/callback?**`);
      expect((await page.textContent('#who'))?.trim()).toBe('张三');
    }
    expect(shown.slice(before).filter((u) => u.startsWith(s.issuer))).toEqual([]);
    await expect.poll(() => auditCount('logout.declined')).toBe(1);
    expect(await auditCount('logout.success')).toBe(logouts);

    // without a post_logout_redirect_uri the page says so and leads back to the app
    await page.goto(`${s.issuer}/session/end?client_id=${clientA}`);
    await Promise.all([page.waitForURL(`${s.issuer}/session/end/success**`), page.click('button:not([name=logout])')]);
    expect(await page.textContent('h1')).toBe('您仍处于登录状态');
    expect(await page.textContent('main')).not.toContain('已安全退出');
    expect(await page.textContent('a.onward')).toBe('返回“公安局业务系统”');

    // signing out for real says so, also leads back to the app, and is audited
    await page.goto(`${s.issuer}/session/end?client_id=${clientA}`);
    await Promise.all([page.waitForURL(`${s.issuer}/session/end/success**`), page.click('button[name=logout][value=yes]')]);
    expect(await page.textContent('main')).toContain('您已安全退出');
    await Promise.all([page.waitForURL(`${appA.postLogoutUri}**`), page.click('a.onward')]);
    await expect.poll(() => auditCount('logout.success')).toBe(logouts + 1);
    await page.goto(`${appX.base}/login`);
    await page.waitForURL(interactionPage);
    expect(problems).toEqual([]);
  });
});
