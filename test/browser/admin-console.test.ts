// The admin console in headless Chromium (issue 12): a security and audit administrator signs in
// through Yitong's own OIDC flow with a password and an authenticator code (ADMIN_MIN_ACR mfa, the
// default), finds a person by ID number, disables them after a confirmation page, watches the
// back-channel logout reach the person's app on the outbox page, exports the audit log as CSV, and
// starts an import from an uploaded file whose page follows it to the end (meta refresh, no
// script). No page may run a script or break the CSP; pages are photographed at 1280 px and at
// tablet width.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, skipBrowser, watchedPage, type WatchedPage } from './chromium.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department, person, PASSWORD, ID_A, ID_B } from '../helpers/fixtures.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { grantPersonRole } from '../../src/admin/service.ts';
import { checkCode, startEnrolment } from '../../src/mfa/totp.ts';
import { generate } from 'otplib';
import { importCsv, idNumber, IMPORT_PROFILE } from '../helpers/admin.ts';

const SHOTS = '/tmp/yitong-admin';

describe.skipIf(skipBrowser)('admin console in a real browser', () => {
  let s: TestServer;
  let browser: Browser;
  let receiver: BackchannelReceiver;
  let w: WatchedPage;
  let appId: string;
  let totpSecret: string;
  const redirectUri = 'http://127.0.0.1:9/cb';

  /** The person signs in at the departmental app (a session with a sid there). */
  async function signInAtApp(id: string) {
    const user = new HttpUser();
    const verifier = crypto.randomBytes(32).toString('base64url');
    const url = `${s.issuer}/auth?${new URLSearchParams({
      client_id: appId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: redirectUri,
      state: 'st',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })}`;
    const first = await user.follow(url);
    const html = await first.res.text();
    const done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: id, password: PASSWORD }, redirectUri);
    expect(done.url.startsWith(redirectUri)).toBe(true);
  }

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    s = await startTestServer({ LOGOUT_POLL_MS: '200' });
    await department(s);
    const admin = await person(s, { idNumber: ID_A, name: '王管理', phone: null, email: null });
    // the administrator's authenticator app, enrolled through the service (its first code a minute ago)
    totpSecret = (await startEnrolment(s.app, admin)).secret;
    const then = Math.floor(Date.now() / 1000) - 60;
    expect(await checkCode(s.app, admin, await generate({ secret: totpSecret, epoch: then }), { confirm: true, now: then })).toEqual({ ok: true });
    await person(s, { idNumber: ID_B, name: '张三', phone: '13900139000', email: null });
    await grantPersonRole(s.app, ID_A, 'security', null, 'test');
    await grantPersonRole(s.app, ID_A, 'audit', null, 'test');
    receiver = await startBackchannelReceiver();
    appId = (await client(s, { name: '公安局业务系统', department: 'GA', redirectUris: [redirectUri], backchannelLogoutUri: receiver.url })).client_id;
    await signInAtApp(ID_B);
    browser = await launchChromium();
    w = await watchedPage(browser);
    await w.page.setViewportSize({ width: 1280, height: 900 });
  });

  afterAll(async () => {
    await browser?.close();
    await receiver?.close();
    await s?.close();
  });

  it('signs in, finds a person, disables them after confirming, sees the outbox deliver, exports the audit log', async () => {
    const { page } = w;
    await page.goto(`${s.issuer}/admin`);
    await page.locator('input[name=identifier]').fill(ID_A);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('button[type=submit]').first().click();
    // the second factor: a code of the authenticator app
    await page.locator('input[name=otp]').fill(await generate({ secret: totpSecret }));
    await page.locator('form.otp button[type=submit]').last().click();
    await page.waitForURL(`${s.issuer}/admin`);
    await expect(page.locator('h1').textContent()).resolves.toBe('管理控制台');
    await expect(page.locator('.who').textContent()).resolves.toContain('安全管理员');

    // search first
    await page.locator('nav a[href="/admin/persons"]').click();
    await page.locator('input[name=id_number]').fill(ID_B);
    await page.locator('form.search button[type=submit]').click();
    await expect(page.locator('table').textContent()).resolves.toContain('440524********0014');
    expect(await page.locator('table').textContent()).not.toContain(ID_B);
    expect(page.url()).toBe(`${s.issuer}/admin/persons`); // searched by POST: no ID number in the URL
    await page.screenshot({ path: `${SHOTS}/persons-1280.png`, fullPage: true });
    await page.locator('a.person').click();
    await expect(page.locator('#person-status').textContent()).resolves.toBe('正常');
    await expect(page.locator('table').textContent()).resolves.toContain(appId); // the session at the app

    // a destructive act asks first
    await page.locator('a.button.danger[href$="/confirm/disable"]').click();
    await expect(page.locator('h1').textContent()).resolves.toContain('请确认');
    await page.screenshot({ path: `${SHOTS}/confirm-1280.png`, fullPage: true });
    await page.locator('button[name=confirm]').click();
    await expect(page.locator('p.notice').textContent()).resolves.toContain('账号已停用');
    await expect(page.locator('#person-status').textContent()).resolves.toBe('已停用');

    // the app is told over the back channel; the outbox page shows it delivered
    await expect.poll(() => receiver.tokens.length, { timeout: 10_000 }).toBe(1);
    await page.locator('nav a[href="/admin/outbox"]').click();
    await expect
      .poll(async () => {
        await page.reload();
        return page.locator('#deliveries tbody tr').first().textContent();
      }, { timeout: 10_000 })
      .toContain('已送达');
    await page.screenshot({ path: `${SHOTS}/outbox-1280.png`, fullPage: true });

    // the audit log, filtered, then exported
    await page.locator('nav a[href="/admin/audit"]').click();
    await page.locator('input[name=event]').fill('person.disable');
    await page.locator('form.filters button[type=submit]').click();
    await expect(page.locator('#records').textContent()).resolves.toContain('person.disable');
    // times read as Beijing time, never as raw ISO instants
    const when = (await page.locator('#records tbody tr td:nth-child(2)').first().textContent())!;
    expect(when).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await page.locator('main').textContent()).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    await page.screenshot({ path: `${SHOTS}/audit-1280.png`, fullPage: true });
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('\uFEFFseq,at,event,outcome,actor,client_id,ip,detail,hash');
    expect(csv).toContain(',person.disable,success,');

    // an import from an uploaded file, followed live to the end
    await page.locator('nav a[href="/admin/imports"]').click();
    await page.locator('input[name=department]').fill('GA');
    const rows: [string, string, string][] = Array.from({ length: 5 }, (_, i) => [`b${i}`, `钱${i}`, idNumber(`33010219900201${String(i).padStart(3, '0')}`)]);
    await page.locator('input[name=file]').setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(importCsv(rows)) });
    await page.locator('textarea[name=profile]').fill(JSON.stringify(IMPORT_PROFILE, null, 2));
    await page.screenshot({ path: `${SHOTS}/imports-1280.png`, fullPage: true });
    await page.locator('form.upload button[type=submit]').click();
    await page.waitForURL(/\/admin\/imports\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.locator('#job-status').textContent({ timeout: 2000 }).catch(() => ''), { timeout: 20_000 })
      .toBe('已完成');
    expect(await page.locator('meta[http-equiv=refresh]').count()).toBe(0); // done: the page stops reloading
    await expect(page.locator('#rows').textContent()).resolves.toBe('5 / 5');
    await page.screenshot({ path: `${SHOTS}/import-1280.png`, fullPage: true });

    // the other pages of the security role, photographed at 1280 px and at tablet width
    const pages = ['persons', 'imports', 'roles', 'orgs', 'conflicts', 'outbox'];
    for (const name of pages) {
      await page.goto(`${s.issuer}/admin/${name}`);
      await page.screenshot({ path: `${SHOTS}/${name}-page-1280.png`, fullPage: true });
    }
    // readable on a tablet: no sideways scroll of the page itself
    await page.setViewportSize({ width: 768, height: 1024 });
    for (const name of pages) {
      await page.goto(`${s.issuer}/admin/${name}`);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), name).toBe(true);
      await page.screenshot({ path: `${SHOTS}/${name}-768.png`, fullPage: true });
    }

    // English on request
    await page.goto(`${s.issuer}/admin/persons?lang=en`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Find a person');

    expect(w.problems).toEqual([]);
  });

  it('a forged form post is refused (CSRF), and a person without a role gets no console', async () => {
    const res = await w.page.request.post(`${s.issuer}/admin/persons/x/enable`, { form: { csrf: 'forged' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const other = await watchedPage(browser);
    await person(s, { idNumber: '11010119900307123'.slice(0, 17) + 'X', name: '赵六', phone: null, email: null }).catch(() => undefined);
    await other.page.goto(`${s.issuer}/admin`);
    expect(other.page.url()).toContain('/interaction/');
    await other.context.close();
  });
});
