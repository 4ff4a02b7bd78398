// "我的单位" and "经办人管理" over HTTP, for what issue 8 asked of them: an agent can give up (放弃)
// an authorisation, which ends their org sign-ins at the apps as a revocation does; revoking and
// giving up go through a confirmation page; a bad grant keeps what was typed with the error at the
// field; every page has a sign-out link, and every error says what to do next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { AppError } from '../../src/errors.ts';
import { addOrg } from '../../src/orgs/org-lifecycle.ts';
import { grantAuthorization, relinquishAuthorization } from '../../src/orgs/authorizations.ts';
import { entityOptions } from '../../src/orgs/entity-options.ts';
import { personByIdNumber } from '../../src/orgs/lookups.ts';

const REDIRECT = 'https://scjg.example.gov.cn/callback';
const SCOPE = 'openid profile legal_person offline_access';

const REP = '110101198001010010'; // legal representative of ORG and ORG_B
const AGENT = '310101199003070027'; // agent of ORG, gives it up
const OTHER = '440304198512120031'; // agent of ORG_B, tries to give up AGENT's
const NEWCOMER = '320102197006150048'; // granted on the page
const ORG = '91350100M000100Y43';
const ORG_B = '91310115MA1FL00079';

let s: TestServer;
let backchannel: BackchannelReceiver;
let app: { client_id: string; client_secret?: string };
let rp: oidc.Configuration;
const subs: Record<string, string> = {};
const ids: Record<string, string> = {};

async function authorize(extra: Record<string, string> = {}) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent',
    ...extra,
  });
  return { url: url.toString(), verifier, state };
}

/** Signs in at the app (login form), picks `entity` on 办理身份 and redeems the code. */
async function signInAtApp(user: HttpUser, idNumber: string, entity: string) {
  const flow = await authorize();
  let page = await user.follow(flow.url, REDIRECT);
  let html = await page.res.text();
  if (html.includes('name="identifier"')) {
    page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: idNumber, password: PASSWORD }, REDIRECT);
    html = page.url.startsWith(REDIRECT) ? '' : await page.res.text();
  }
  expect(html).toContain('办理身份');
  const done = await user.postForm(new URL(formAction(html, '/select-entity'), s.issuer).toString(), { ...formFields(html), entity }, REDIRECT);
  expect(done.url.startsWith(REDIRECT)).toBe(true);
  return oidc.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
}

/** Signs in on a self-service page through the portal login; returns that page's HTML. */
async function signInOnPage(user: HttpUser, idNumber: string, path = '/orgs') {
  const first = await user.follow(`${s.issuer}${path}`);
  const html = await first.res.text();
  const done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: idNumber, password: PASSWORD });
  expect(done.url).toBe(`${s.issuer}${path}`);
  return done.res.text();
}

async function logoutToken(sub: string, sid: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
  for (const t of backchannel.tokens) {
    const { payload } = await jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: app.client_id });
    if (payload.sub === sub && payload.sid === sid) return payload;
  }
  return undefined;
}

const row = (id: string) => s.app.db.selectFrom('org_authorizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const rows = () => s.app.db.selectFrom('org_authorizations').selectAll().orderBy('id').execute();

async function rejects(p: Promise<unknown>, code: string, status: number) {
  const err = await p.then(
    () => new Error(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(err).toMatchObject({ code, status });
}

beforeAll(async () => {
  s = await startTestServer();
  backchannel = await startBackchannelReceiver();
  await department(s, 'SCJG', '市场监管局');
  app = await client(s, { name: '企业开办', department: 'SCJG', redirectUris: [REDIRECT], backchannelLogoutUri: backchannel.url, grantTypes: ['authorization_code', 'refresh_token'] });
  rp = await oidc.discovery(new URL(s.issuer), app.client_id, app.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  for (const [id, name] of [[REP, '李法人'], [AGENT, '王经办'], [OTHER, '赵旁人'], [NEWCOMER, '孙新人']] as const) {
    subs[id] = (await person(s, { idNumber: id, name, phone: null, email: null })).sub;
  }
  await addOrg(s.app, { uscc: ORG, name: '福州一通科技有限公司', legalRepIdNumber: REP }, 'test');
  await addOrg(s.app, { uscc: ORG_B, name: '上海浦东示例有限公司', legalRepIdNumber: REP }, 'test');
  ids.agent = (await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: AGENT }, { actor: 'test', activate: true })).authorization.id;
  ids.other = (await grantAuthorization(s.app, { uscc: ORG_B, agentIdNumber: OTHER }, { actor: 'test', activate: true })).authorization.id;
  ids.pending = (await grantAuthorization(s.app, { uscc: ORG_B, agentIdNumber: AGENT }, { actor: 'test', activate: false })).authorization.id;
});

afterAll(async () => {
  await backchannel?.close();
  await s?.close();
});

describe('an agent gives up an authorisation (service)', () => {
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('refuses what is not the agent’s own active authorisation, changing nothing', async () => {
    tokens = await signInAtApp(new HttpUser(), AGENT, ORG);
    expect(tokens.claims()).toMatchObject({ uscc: ORG, org_role: 'agent' });
    const before = await rows();
    const other = await personByIdNumber(s.app, OTHER);
    const agent = await personByIdNumber(s.app, AGENT);
    await rejects(relinquishAuthorization(s.app, other, ids.agent), 'org.authorization_unknown', 404);
    await rejects(relinquishAuthorization(s.app, agent, 'not-a-uuid'), 'org.authorization_unknown', 404);
    await rejects(relinquishAuthorization(s.app, agent, ids.pending), 'org.authorization_not_active', 409);
    expect(await rows()).toEqual(before);
    const denied = (await s.app.audit.list({ event: 'org.grant.relinquish' })).filter((e) => e.outcome === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ actor: subs[OTHER], detail: { authorization_id: ids.agent, reason: 'not_the_agent' } });
  });

  it('ends the agent’s org sign-ins as a revocation does: refresh, userinfo, back-channel logout', async () => {
    const agent = await personByIdNumber(s.app, AGENT);
    const r = await relinquishAuthorization(s.app, agent, ids.agent, { ip: '203.0.113.9' });
    expect(r.authorization.status).toBe('relinquished');
    expect(r.ended.grants).toBeGreaterThanOrEqual(1);
    expect(r.ended.queued).toBe(1);
    expect((await row(ids.agent)).ended_at).not.toBeNull();
    const sid = String(tokens.claims()!.sid);
    await expect.poll(() => logoutToken(subs[AGENT], sid), { timeout: 5000 }).toBeTruthy();
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, subs[AGENT])).rejects.toMatchObject({ status: 401 });
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);

    const [record] = (await s.app.audit.list({ event: 'org.grant.relinquish' })).filter((e) => e.outcome === 'success');
    expect(record).toMatchObject({ actor: subs[AGENT], ip: '203.0.113.9', detail: { uscc: ORG, authorization_id: ids.agent, role: 'agent' } });
    const ends = (await s.app.audit.list({ event: 'session.end' })).filter((e) => e.detail.reason === 'org.authorization.relinquish');
    expect(ends).toHaveLength(1);
    expect(ends[0].actor).toBe(subs[AGENT]);
    expect((await s.app.audit.list({ event: 'org.context.end' })).some((e) => e.detail.reason === 'relinquished')).toBe(true);

    const opts = await entityOptions(s.app, agent.id);
    expect(opts.usable.map((o) => o.org.uscc)).not.toContain(ORG);
    expect(opts.unusable.find((u) => u.org.uscc === ORG)?.reason).toBe('relinquished');
    await rejects(relinquishAuthorization(s.app, agent, ids.agent), 'org.authorization_not_active', 409);
  });

  it('leaves the legal representative free to grant again', async () => {
    const again = await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: AGENT }, { actor: 'test', activate: true });
    expect(again.updated).toBe(false);
    ids.agent = again.authorization.id;
    expect(await s.app.audit.verify()).toMatchObject({ ok: true });
  });
});

describe('the pages', () => {
  const signOutLink = /<a class="signout" href="\/session\/end">退出登录<\/a>/;

  it('give every /orgs page a sign-out link, errors included, and a way to sign in after a lost session', async () => {
    const rep = new HttpUser();
    const home = await signInOnPage(rep, REP);
    expect(home).toMatch(signOutLink);
    const agents = await (await rep.request(`${s.issuer}/orgs/${ORG}/agents`)).text();
    expect(agents).toMatch(signOutLink);
    const confirm = await (await rep.request(`${s.issuer}/orgs/${ORG}/agents/${ids.other}/revoke`)).text(); // ORG_B's, not ORG's
    expect(confirm).toMatch(signOutLink);
    const unknownOrg = await rep.request(`${s.issuer}/orgs/91350100M000100Y44/agents`);
    expect(unknownOrg.status).toBe(400);
    expect(await unknownOrg.text()).toMatch(signOutLink);

    const agent = new HttpUser();
    await signInOnPage(agent, AGENT);
    const forbidden = await agent.request(`${s.issuer}/orgs/${ORG}/agents`);
    expect(forbidden.status).toBe(403);
    const html = await forbidden.text();
    expect(html).toContain('只有该单位的法定代表人才能管理经办人');
    expect(html).toContain('如需换人登录，请先退出登录'); // what to do next
    expect(html).toMatch(signOutLink);
    expect(html).toContain('href="/orgs"');

    // the session is gone (signed out elsewhere): the answer says so and links to sign-in
    const anon = await new HttpUser().postForm(`${s.issuer}/orgs/authorizations/${ids.pending}/accept`, { csrf: 'x' });
    expect(anon.res.status).toBe(401);
    expect(await anon.res.text()).toContain('href="/selfservice/login?next=%2Forgs"');
  });

  it('says what to do next on every error, in both languages', async () => {
    const agent = new HttpUser();
    const home = await signInOnPage(agent, AGENT);
    const csrf = formFields(home).csrf;
    const forged = await agent.postForm(`${s.issuer}/orgs/authorizations/${ids.pending}/accept`, { csrf: 'forged' });
    expect(forged.res.status).toBe(403);
    const text = await forged.res.text();
    expect(text).toContain('页面已过期，请刷新后重试');
    expect(text).toContain('请返回“我的单位”，重新操作一次即可。');
    const gone = await agent.postForm(`${s.issuer}/orgs/authorizations/00000000-0000-4000-8000-000000000000/decline`, { csrf });
    expect(gone.res.status).toBe(404);
    expect(await gone.res.text()).toContain('该授权可能已被撤销、放弃或处理过');
    const en = await agent.request(`${s.issuer}/orgs/${ORG}/agents?lang=en`);
    const enText = await en.text();
    expect(enText).toContain('Only the organisation’s legal representative can manage its agents');
    expect(enText).toContain('to sign in as someone else, sign out first');
    expect(enText).toContain('>Sign out</a>');
  });

  it('keep everything typed into a bad grant, with the error next to its field', async () => {
    const rep = new HttpUser();
    await signInOnPage(rep, REP, `/orgs/${ORG}/agents`);
    const page = await (await rep.request(`${s.issuer}/orgs/${ORG}/agents`)).text();
    const csrf = formFields(page).csrf;
    const before = await rows();
    const typo = `${NEWCOMER.slice(0, 17)}9`;
    const until = `${new Date().getFullYear() + 1}-06-30`;
    const bad = await rep.postForm(`${s.issuer}/orgs/${ORG}/agents`, { csrf, id_number: typo, name: '孙新人', until });
    expect(bad.res.status).toBe(400);
    const html = await bad.res.text();
    expect(html).toMatch(new RegExp(`<input id="grant-id" name="id_number"[^>]* value="${typo}"[^>]* aria-invalid="true" aria-describedby="id_number-error" autofocus>`));
    expect(html).toMatch(/<input id="grant-name" name="name"[^>]* value="孙新人"[^>]*>/);
    expect(html).toContain(`value="${until}"`);
    expect(html).toMatch(/<p class="field-error" id="id_number-error" role="alert">身份证号码校验位不正确<span class="next">[^<]*逐位核对/);
    // every field's mistake at once
    const all = await (await rep.postForm(`${s.issuer}/orgs/${ORG}/agents`, { csrf, id_number: '1101', name: ' ', until: '2001-01-01' })).res.text();
    expect(all).toContain('id="id_number-error"');
    expect(all).toContain('id="name-error"');
    expect(all).toContain('id="until-error"');
    expect(all).toContain('有效期截止日期不能早于今天');
    // an ID number and a name that match nobody: said above both fields, both kept
    const nobody = await rep.postForm(`${s.issuer}/orgs/${ORG}/agents`, { csrf, id_number: NEWCOMER, name: '孙某某' });
    expect(nobody.res.status).toBe(404);
    const nobodyHtml = await nobody.res.text();
    expect(nobodyHtml).toMatch(/<p class="error" id="grant-error" role="alert">未找到证件号码与姓名相符的已注册用户<br><span class="next">/);
    expect(nobodyHtml).toContain(`value="${NEWCOMER}"`);
    expect(nobodyHtml).toContain('value="孙某某"');
    expect(await rows()).toEqual(before);
  });

  it('ask before revoking; only the POST of the confirmation revokes', async () => {
    const granted = (await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: NEWCOMER }, { actor: 'test', activate: true })).authorization.id;
    const rep = new HttpUser();
    await signInOnPage(rep, REP, `/orgs/${ORG}/agents`);
    const list = await (await rep.request(`${s.issuer}/orgs/${ORG}/agents`)).text();
    expect(list).toContain(`<a class="button secondary revoke" href="/orgs/${ORG}/agents/${granted}/revoke">`);
    const before = await rows();
    const confirm = await rep.request(`${s.issuer}/orgs/${ORG}/agents/${granted}/revoke`);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('<h1>确认撤销授权</h1>');
    expect(html).toContain('孙新人');
    expect(html).toContain('320102********0048');
    expect(html).not.toContain(NEWCOMER);
    expect(html).toContain(`<form method="post" action="/orgs/${ORG}/agents/${granted}/revoke" class="confirm">`);
    expect(html).toContain('<button type="submit" name="confirm" value="yes" class="danger">确认撤销</button>');
    expect(html).toContain(`<a class="button secondary back" href="/orgs/${ORG}/agents">不撤销，返回</a>`);
    expect(await rows()).toEqual(before); // looking changes nothing
    // a grant still waiting for its agent: the page says what revoking it means then
    expect(await (await rep.request(`${s.issuer}/orgs/${ORG_B}/agents/${ids.pending}/revoke`)).text()).toContain('这项待接受的授权作废');
    // another org's authorisation, and the agent's own view of ORG, get no confirmation page
    expect((await rep.request(`${s.issuer}/orgs/${ORG}/agents/${ids.other}/revoke`)).status).toBe(404);
    const agent = new HttpUser();
    await signInOnPage(agent, AGENT);
    expect((await agent.request(`${s.issuer}/orgs/${ORG}/agents/${granted}/revoke`)).status).toBe(403);

    const done = await rep.postForm(`${s.issuer}/orgs/${ORG}/agents/${granted}/revoke`, { ...formFields(html), confirm: 'yes' });
    expect(done.url).toBe(`${s.issuer}/orgs/${ORG}/agents?done=revoked`);
    expect(await done.res.text()).toContain('已撤销授权');
    expect((await row(granted)).status).toBe('revoked');
  });

  it('let the agent give up an authorisation through its confirmation page, ending their org sign-ins', async () => {
    const tokens = await signInAtApp(new HttpUser(), AGENT, ORG);
    const agent = new HttpUser();
    const home = await signInOnPage(agent, AGENT);
    expect(home).toContain(`<a class="button secondary relinquish" href="/orgs/authorizations/${ids.agent}/relinquish">放弃授权</a>`);
    const confirm = await agent.request(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`);
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(html).toContain('<h1>确认放弃授权</h1>');
    expect(html).toContain('福州一通科技有限公司');
    expect(html).toContain('<button type="submit" name="confirm" value="yes" class="danger">确认放弃</button>');
    expect((await row(ids.agent)).status).toBe('active');
    // not the person's own: no page, and a foreign POST changes nothing
    const other = new HttpUser();
    await signInOnPage(other, OTHER);
    expect((await other.request(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`)).status).toBe(404);
    const own = await (await other.request(`${s.issuer}/orgs/authorizations/${ids.other}/relinquish`)).text(); // a valid CSRF token of their own
    const foreign = await other.postForm(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`, { csrf: formFields(own).csrf });
    expect(foreign.res.status).toBe(404);
    expect((await agent.postForm(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`, { csrf: 'forged' })).res.status).toBe(403);
    expect((await row(ids.agent)).status).toBe('active');

    const done = await agent.postForm(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`, { ...formFields(html), confirm: 'yes' });
    expect(done.url).toBe(`${s.issuer}/orgs?done=relinquished`);
    const after = await done.res.text();
    expect(after).toContain('已放弃授权');
    expect(after).toContain('您已放弃该授权');
    expect((await row(ids.agent)).status).toBe('relinquished');
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect.poll(() => logoutToken(subs[AGENT], String(tokens.claims()!.sid)), { timeout: 5000 }).toBeTruthy();
    // the legal representative sees who ended it
    const rep = new HttpUser();
    const agents = await signInOnPage(rep, REP, `/orgs/${ORG}/agents`);
    expect(agents).toMatch(new RegExp(`data-status="relinquished" data-id="${ids.agent}">\\s*<p class="title">王经办 <small class="tag status-relinquished">经办人已放弃</small>`));
    // a second try says why, and what to do
    const again = await agent.postForm(`${s.issuer}/orgs/authorizations/${ids.agent}/relinquish`, { csrf: formFields(after).csrf });
    expect(again.res.status).toBe(409);
    expect(await again.res.text()).toContain('该授权当前没有生效，无需放弃');
  });
});
