// Second factors in Debian's headless Chromium on a 390x844 phone: a passkey registered in the
// account centre with Chromium's virtual authenticator (CDP WebAuthn.addVirtualAuthenticator,
// user verification on), then used at an app with --min-acr phr (acr phr, amr hwk) and alone,
// without the password, from the login page's passkey link; the
// authenticator app set up inside a login at an app with --min-acr mfa (QR code on the page, the
// code computed from the secret shown), the recovery codes page, the second-factor page, and the
// real-name refusal. Every page is photographed (MFA_SHOTS, default /tmp/yitong-mfa-shots); none
// scrolls sideways, and no script is refused or fails (the passkey pages run /assets/mfa-passkey.js
// under their own CSP; every other page allows none).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../src/config/env.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createTestDatabase, TEST_CRYPTO_ENV, TEST_MASTER_KEY, type TestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/server.ts';
import { addClient } from '../../src/clients/service.ts';
import { addDepartment } from '../../src/departments/service.ts';
import { createPerson } from '../../src/accounts/service.ts';
import { PASSWORD } from '../helpers/fixtures.ts';
import { launchChromium, skipBrowser, watchedPage, type WatchedPage } from './chromium.ts';

const SHOTS = process.env.MFA_SHOTS ?? '/tmp/yitong-mfa-shots';
const PHONE = { width: 390, height: 844 };
const ID_PASSKEY = '11010519491231002X';
const ID_TOTP = '440524188001010014';

interface App {
  rp: oidc.Configuration;
  redirect: string;
}

describe.skipIf(skipBrowser)('second factors in a real browser', () => {
  let server: RunningServer;
  let db: TestDatabase;
  let issuer: string;
  let browser: Browser;
  let plain: App;
  let phr: App;
  let strict: App;
  let levelled: App;
  const contexts: BrowserContext[] = [];
  let callbacks: http.Server;
  let apps = '';

  beforeAll(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // the apps' callbacks: a page that says so (the test redeems the code itself)
    const cbPort = await freePort();
    callbacks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>app</title><p>back at the app</p>'));
    await new Promise<void>((r) => callbacks.listen(cbPort, '127.0.0.1', r));
    apps = `http://127.0.0.1:${cbPort}`;
    db = await createTestDatabase();
    const port = await freePort();
    // WebAuthn needs a host name for the relying party id (an IP address is refused): localhost
    issuer = `http://localhost:${port}`;
    server = await startServer(
      loadConfig({
        NODE_ENV: 'test',
        PORT: String(port),
        ISSUER: issuer,
        DATA_DIR: db.dataDir,
        YITONG_MASTER_KEY: TEST_MASTER_KEY,
        ...TEST_CRYPTO_ENV,
        LOG_LEVEL: 'silent',
        ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
      }),
    );
    const rules = server.clientRules();
    await addDepartment(server.app, 'GA', '公安局', 'test');
    const add = async (name: string, redirect: string, extra: Record<string, unknown> = {}): Promise<App> => {
      const reg = await addClient(server.app, { name, department: 'GA', redirectUris: [redirect], ...extra }, 'test', rules);
      return { rp: await oidc.discovery(new URL(issuer), reg.client_id, reg.client_secret, undefined, { execute: [oidc.allowInsecureRequests] }), redirect };
    };
    plain = await add('户籍办理', `${apps}/plain/cb`);
    phr = await add('企业开办', `${apps}/phr/cb`, { minAcr: 'urn:yitong:acr:phr' });
    strict = await add('公积金提取', `${apps}/strict/cb`, { minAcr: 'urn:yitong:acr:mfa' });
    levelled = await add('不动产登记', `${apps}/levelled/cb`, { minRealNameLevel: 3 });
    await createPerson(server.app, { idNumber: ID_PASSKEY, name: '张三', password: PASSWORD }, 'test');
    await createPerson(server.app, { idNumber: ID_TOTP, name: '欧阳明月', password: PASSWORD }, 'test');
    browser = await launchChromium();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await db?.cleanup();
    callbacks?.close();
  });

  async function open(): Promise<WatchedPage> {
    const w = await watchedPage(browser);
    contexts.push(w.context);
    await w.page.setViewportSize(PHONE);
    return w;
  }

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: path.join(SHOTS, `phone-${name}.png`), fullPage: true });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(Number(overflow), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  }

  /** Starts an authorization in the browser; `finish` waits for the callback and redeems the code. */
  async function authorize(page: Page, app: App, params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(app.rp, {
      redirect_uri: app.redirect,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    await page.goto(url.toString());
    return {
      async finish() {
        await page.waitForURL((u) => u.toString().startsWith(app.redirect));
        const tokens = await oidc.authorizationCodeGrant(app.rp, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
        return tokens.claims()!;
      },
    };
  }

  async function password(page: Page, id: string) {
    await page.waitForSelector('input[name=identifier]');
    await page.fill('input[name=identifier]', id);
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/login"] button[type=submit]')]);
  }

  it('registers a passkey in the account centre and signs in with it at an app that requires phr', async () => {
    const w = await open();
    const { page, context } = w;
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });

    // a password session at an ordinary app
    const first = await authorize(page, plain);
    await password(page, ID_PASSKEY);
    expect((await first.finish()).acr).toBe('urn:yitong:acr:pwd');

    // the account centre: security, then two-step verification
    await page.goto(`${issuer}/account/security`);
    await shot(page, '01-account-security');
    await Promise.all([page.waitForNavigation(), page.click('#mfa-manage')]);
    await shot(page, '02-account-mfa');
    await page.fill('#passkey-name', '我的手机');
    await page.fill('#pk-pw', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('#passkey-register')]);
    expect(await page.locator('h1').first().textContent()).toContain('请保存您的恢复码');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await shot(page, '03-account-recovery-codes');
    await Promise.all([page.waitForNavigation(), page.click('#codes-done')]);
    expect(await page.locator('.notice').first().textContent()).toContain('通行密钥已登记');
    expect(await page.locator('.passkey-item').count()).toBe(1);
    await shot(page, '04-account-mfa-passkey');
    const stored = await server.app.db.selectFrom('mfa_passkeys').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: '我的手机', device_type: 'singleDevice' });

    // the app that requires a phishing-resistant login: the SSO session (pwd) is asked for the passkey
    const second = await authorize(page, phr);
    await page.waitForSelector('#passkey-button');
    expect(await page.locator('input[name=otp]').count()).toBe(0);
    await shot(page, '05-mfa-passkey-prompt');
    await page.click('#passkey-button');
    const claims = await second.finish();
    expect(claims).toMatchObject({ acr: 'urn:yitong:acr:phr', amr: ['pwd', 'hwk', 'mfa'] });
    const after = await server.app.db.selectFrom('mfa_passkeys').select(['last_used_at']).executeTakeFirstOrThrow();
    expect(after.last_used_at).not.toBeNull();

    // signed out, the passkey alone signs in (passwordless, user verification): acr phr
    await page.goto(`${issuer}/session/end`);
    await Promise.all([page.waitForNavigation(), page.click('button[name=logout][value=yes]')]);
    const third = await authorize(page, plain);
    await page.waitForSelector('a[href$="/passkey"]');
    await shot(page, '11-login-with-passkey-link');
    await Promise.all([page.waitForNavigation(), page.click('a[href$="/passkey"]')]);
    await shot(page, '12-passwordless');
    await page.click('#passkey-button');
    expect(await third.finish()).toMatchObject({ acr: 'urn:yitong:acr:phr', amr: ['hwk', 'mfa'] });
    expect(w.problems).toEqual([]);
  });

  it('sets up the authenticator app inside a login, on a phone', async () => {
    const w = await open();
    const { page } = w;
    const flow = await authorize(page, strict);
    await password(page, ID_TOTP);
    await page.waitForSelector('#totp-secret');
    expect(await page.locator('img.qr').evaluate((img) => { const i = img as unknown as { complete: boolean; naturalWidth: number }; return i.complete && i.naturalWidth > 0; })).toBe(true);
    await shot(page, '06-mfa-enrol');
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');
    await page.fill('#otp', await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }));
    await Promise.all([page.waitForNavigation(), page.click('form.enrol button[type=submit]')]);
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await shot(page, '07-mfa-recovery-codes');
    await page.click('#codes-done');
    expect((await flow.finish()).acr).toBe('urn:yitong:acr:mfa');

    // a later password sign-in (another browser) asks for the code
    const other = await open();
    const again = await authorize(other.page, plain);
    await password(other.page, ID_TOTP);
    await other.page.waitForSelector('input[name=otp]');
    await shot(other.page, '08-mfa-prompt');
    await other.page.fill('input[name=otp]', '000000');
    await Promise.all([other.page.waitForNavigation(), other.page.click('form.otp button[type=submit]')]);
    expect(await other.page.locator('#mfa-error').textContent()).toContain('验证未通过');
    await shot(other.page, '09-mfa-prompt-error');
    await other.page.fill('input[name=otp]', await generate({ secret }));
    await other.page.click('form.otp button[type=submit]');
    expect((await again.finish()).acr).toBe('urn:yitong:acr:mfa');

    // the real-name refusal page
    const refused = await authorize(other.page, levelled);
    await other.page.waitForSelector('#real-name-back');
    await shot(other.page, '10-real-name');
    await other.page.click('#real-name-back');
    await other.page.waitForURL((u) => u.toString().startsWith(levelled.redirect));
    expect(new URL(other.page.url()).searchParams.get('error')).toBe('access_denied');
    void refused;

    const unexpected = (x: WatchedPage) => x.problems.filter((p) => !/^HTTP 401 POST .*\/mfa$/.test(p));
    expect(unexpected(w)).toEqual([]);
    expect(unexpected(other)).toEqual([]);
  });
});
