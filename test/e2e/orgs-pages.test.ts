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
import { UserError } from '../../src/i18n/messages.ts';
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
  expect(err).toBeInstanceOf(UserError);
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
