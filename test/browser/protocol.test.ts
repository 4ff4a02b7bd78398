// Protocol paths a citizen's browser takes besides the plain redirect flow (Chromium, strict CSP on):
// response_mode=form_post delivers the code by oidc-provider's auto-submitting page; an app on
// another site starts sign-in and logout with a form POST (answered 303 to the GET, cookies stay
// SameSite=Lax, single sign-on still works).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { startDepartmentalApp, type DepartmentalApp } from './rp.ts';
import { launchChromium, skipBrowser, watchedPage } from './chromium.ts';

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

  const auditCount = async (event: string) => (await s.app.audit.list({ event, limit: 100 })).length;

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
});
