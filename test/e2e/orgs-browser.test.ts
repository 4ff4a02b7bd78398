// Legal persons in a real browser (headless Chromium via playwright-core): an agent signs in to a
// departmental app and picks the org on the "办理身份" page; a silent re-login keeps it; the legal
// representative grants an agent on "经办人管理", the agent accepts on "我的单位", then acts for the
// org; the representative revokes (through the confirmation page). The app is openid-client
// behind a local callback server.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, freePort, type TestServer } from '../helpers/server.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { addOrg } from '../../src/orgs/org-lifecycle.ts';
import { grantAuthorization } from '../../src/orgs/authorizations.ts';

const CHROMIUM = '/usr/bin/chromium';
const REP = '110101198001010010';
const AGENT = '310101199003070027';
const NEWCOMER = '440304198512120031';
const ORG1 = '91350100M000100Y43';
const ORG2 = '91310115MA1FL00079';

let s: TestServer;
let browser: Browser;
let rp: http.Server;
let redirect: string;
let config: oidc.Configuration;
const subs: Record<string, string> = {};

async function login(page: Page, idNumber: string) {
  await page.waitForSelector('input[name=identifier]');
  await page.fill('input[name=identifier]', idNumber);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
}

async function authorize(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirect,
    scope: 'openid profile legal_person',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { url: url.toString(), verifier, state };
}

async function finish(page: Page, flow: { verifier: string; state: string }) {
  await page.waitForURL((u) => u.toString().startsWith(redirect));
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
  return tokens.claims()!;
}

const hasChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!hasChromium)('in headless Chromium', () => {
  beforeAll(async () => {
    s = await startTestServer();
    const port = await freePort();
    redirect = `http://127.0.0.1:${port}/callback`;
    rp = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
    await new Promise<void>((r) => rp.listen(port, '127.0.0.1', r));
    await department(s, 'SCJG', '市场监管局');
    const app = await client(s, { name: '企业开办', department: 'SCJG', redirectUris: [redirect] });
    config = await oidc.discovery(new URL(s.issuer), app.client_id, app.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    for (const [id, name] of [[REP, '李法人'], [AGENT, '王经办'], [NEWCOMER, '赵新人']] as const) subs[id] = (await person(s, { idNumber: id, name, phone: null, email: null })).sub;
    await addOrg(s.app, { uscc: ORG1, name: '福州一通科技有限公司', legalRepIdNumber: REP }, 'test');
    await addOrg(s.app, { uscc: ORG2, name: '上海浦东示例有限公司', legalRepIdNumber: REP }, 'test');
    await grantAuthorization(s.app, { uscc: ORG1, agentIdNumber: AGENT }, { actor: 'test', activate: true });
    await grantAuthorization(s.app, { uscc: ORG2, agentIdNumber: AGENT }, { actor: 'test', activate: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await s?.close();
  });

  it('an agent for two orgs picks one on the 办理身份 page; a silent re-login keeps it', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const flow = await authorize();
    await page.goto(flow.url);
    await login(page, AGENT);
    await page.waitForSelector('input[name=entity]');
    expect(await page.textContent('h1')).toBe('办理身份');
    const values = await page.$$eval('input[type=radio][name=entity]', (els) => els.map((e) => (e as unknown as { value: string }).value));
    expect(values.sort()).toEqual(['person', ORG1, ORG2].sort());
    await page.check(`input[name=entity][value="${ORG2}"]`);
    await page.click('button[type=submit]');
    const claims = await finish(page, flow);
    expect(claims).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG2, org_name: '上海浦东示例有限公司', org_role: 'agent' });

    const silent = await authorize({ prompt: 'none' });
    await page.goto(silent.url);
    expect(await finish(page, silent)).toMatchObject({ sub: subs[AGENT], uscc: ORG2 });
    await context.close();
  });

  it('the page speaks English on request', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const flow = await authorize();
    await page.goto(flow.url);
    await login(page, AGENT);
    await page.waitForSelector('input[name=entity]');
    expect(await page.textContent('h1')).toBe('办理身份');
    await page.click('header a.lang');
    await page.waitForURL(/lang=en/);
    await page.waitForSelector('input[name=entity]');
    expect(await page.textContent('h1')).toBe('Acting for');
    await page.check('input[name=entity][value=person]');
    await page.click('button[type=submit]');
    expect(await finish(page, flow)).toMatchObject({ sub: subs[AGENT], entity_type: 'natural_person' });
    await context.close();
  });

  it('the legal representative grants on 经办人管理, the agent accepts on 我的单位 and acts for the org; revocation follows', async () => {
    const repCtx = await browser.newContext({ locale: 'zh-CN' });
    const rep = await repCtx.newPage();
    await rep.goto(`${s.issuer}/orgs`);
    await login(rep, REP);
    await rep.waitForURL(`${s.issuer}/orgs`);
    expect(await rep.textContent('h1')).toBe('我的单位');
    await rep.click(`a[href="/orgs/${ORG1}/agents"]`);
    await rep.waitForSelector('input[name=id_number]');
    expect(await rep.textContent('h1')).toBe('经办人管理');
    // an ID number and a name that do not match: a clear error, nothing granted
    await rep.fill('input[name=id_number]', NEWCOMER);
    await rep.fill('input[name=name]', '赵某某');
    await rep.click('button[name=grant]');
    await rep.waitForSelector('p.error');
    expect(await rep.textContent('p.error')).toContain('未找到证件号码与姓名相符的已注册用户');
    await rep.fill('input[name=id_number]', NEWCOMER);
    await rep.fill('input[name=name]', '赵新人');
    await rep.fill('input[name=until]', `${new Date().getFullYear() + 1}-12-31`);
    await rep.click('button[name=grant]');
    await rep.waitForSelector('p.notice');
    expect(await rep.textContent('p.notice')).toContain('待经办人接受');
    expect(await rep.textContent('.agent[data-status=pending]')).toContain('440304********0031');

    const agentCtx = await browser.newContext({ locale: 'zh-CN' });
    const agent = await agentCtx.newPage();
    await agent.goto(`${s.issuer}/orgs`);
    await login(agent, NEWCOMER);
    await agent.waitForSelector(`.pending[data-uscc="${ORG1}"]`);
    await agent.click(`.pending[data-uscc="${ORG1}"] button[value=accept]`);
    await agent.waitForSelector('p.notice');
    expect(await agent.textContent(`.org[data-uscc="${ORG1}"]`)).toContain('经办人');

    // the agent's next sign-in to the app offers the org
    const flow = await authorize();
    await agent.goto(flow.url);
    await agent.waitForSelector('input[name=entity]');
    await agent.check(`input[name=entity][value="${ORG1}"]`);
    await agent.click('button[type=submit]');
    expect(await finish(agent, flow)).toMatchObject({ sub: subs[NEWCOMER], uscc: ORG1, org_role: 'agent' });

    await rep.reload();
    await rep.click('.agent[data-status=active] a.revoke');
    await rep.click('button[name=confirm][value=yes]'); // the confirmation page
    await rep.waitForSelector('p.notice');
    expect(await rep.textContent('p.notice')).toContain('已撤销授权');
    expect(await rep.$('.agent[data-status=revoked]')).not.toBeNull();
    await repCtx.close();
    await agentCtx.close();
  });
});
