// Legal persons and agents end to end over HTTP: a departmental app (openid-client) signs an agent
// in, the select_entity prompt asks "办理身份", the choice is part of the grant (silent SSO keeps
// it, another app asks again), the claims follow the contract, revocation and expiry end the org
// context (refresh and userinfo fail, back-channel logout reaches the app), token exchange issues
// org tokens with `act`. Against a real server, on PGlite or PostgreSQL (DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { addOrg, setLegalRep } from '../../src/orgs/org-lifecycle.ts';
import { grantAuthorization, revokeAuthorization } from '../../src/orgs/authorizations.ts';
import { sweepOrgs } from '../../src/orgs/sweep.ts';
import { TOKEN_EXCHANGE, ACCESS_TOKEN_TYPE } from '../../src/orgs/exchange.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
const SCOPE = 'openid profile legal_person offline_access';

// people (ID numbers valid per GB 11643) and orgs (USCCs valid per GB 32100)
const REP1 = '110101198001010010'; // legal representative of ORG1
const AGENT = '310101199003070027'; // agent of ORG1 and ORG2
const REP2 = '440304198512120031'; // legal representative of ORG2 and ORG3
const LONER = '320102197006150048'; // nobody's agent
const LAPSED = '510107199505200050'; // an agent whose authorisation expired
const REVOKEE = '330106198808080063'; // agent of ORG3, revoked while signed in
const EXPIREE = '350102199202020077'; // agent of ORG2, expires while signed in
const SUCCESSOR = '420106197509090082'; // becomes ORG1's legal representative
const ORG1 = '91350100M000100Y43';
const ORG2 = '91310115MA1FL00079';
const ORG3 = '91110108MA01ABCD1E';

let s: TestServer;
let backchannel: BackchannelReceiver;
let appA: { client_id: string; client_secret?: string };
let appB: { client_id: string; client_secret?: string };
let rpA: oidc.Configuration;
let rpB: oidc.Configuration;
const subs: Record<string, string> = {};
const orgs: Record<string, { id: string; sub: string }> = {};

async function discover(c: { client_id: string; client_secret?: string }) {
  return oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, c.client_secret ? undefined : oidc.None(), { execute: [oidc.allowInsecureRequests] });
}

interface Flow {
  url: string;
  verifier: string;
  state: string;
}

async function authorize(config: oidc.Configuration, extra: Record<string, string> = {}): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
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

/** Starts an authorization; signs in when the login form shows. Returns the page or the callback. */
async function start(user: HttpUser, config: oidc.Configuration, idNumber: string | null, extra: Record<string, string> = {}) {
  const flow = await authorize(config, extra);
  let page = await user.follow(flow.url, REDIRECT);
  if (!page.url.startsWith(REDIRECT)) {
    const html = await page.res.text();
    if (html.includes('name="identifier"')) {
      if (!idNumber) throw new Error('login form shown');
      page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: idNumber, password: PASSWORD }, REDIRECT);
    } else {
      return { flow, done: page.url.startsWith(REDIRECT) ? new URL(page.url) : null, html, page };
    }
  }
  if (page.url.startsWith(REDIRECT)) return { flow, done: new URL(page.url), html: '', page };
  return { flow, done: null, html: await page.res.text(), page };
}

async function choose(user: HttpUser, html: string, entity: string) {
  return user.postForm(new URL(formAction(html, '/select-entity'), s.issuer).toString(), { ...formFields(html), entity }, REDIRECT);
}

async function redeem(config: oidc.Configuration, flow: Flow, callback: URL) {
  return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
}

/** Signs in (when needed), picks `entity` on the selection page, redeems the code. */
async function signIn(user: HttpUser, config: oidc.Configuration, idNumber: string | null, entity?: string) {
  const r = await start(user, config, idNumber);
  let callback = r.done;
  if (!callback) {
    expect(r.html).toContain('办理身份');
    if (!entity) throw new Error('selection page shown');
    const done = await choose(user, r.html, entity);
    expect(done.url.startsWith(REDIRECT), await done.res.clone().text()).toBe(true);
    callback = new URL(done.url);
  }
  return redeem(config, r.flow, callback);
}

/** Time passes: the authorisation's validity ended a minute ago. */
async function expire(authorizationId: string) {
  await s.app.db
    .updateTable('org_authorizations')
    .set({ valid_from: new Date(Date.now() - 86_400_000), valid_until: new Date(Date.now() - 60_000) })
    .where('id', '=', authorizationId)
    .execute();
}

const contextCount = async () => Number((await sql<{ n: string }>`select count(*) as n from org_entity_contexts`.execute(s.app.db)).rows[0].n);

async function logoutTokenFor(sub: string, sid: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
  for (const t of backchannel.tokens) {
    const { payload } = await jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: appA.client_id });
    if (payload.sub === sub && payload.sid === sid) return payload;
  }
  return undefined;
}

async function exchange(config: oidc.Configuration, subjectToken: string, params: Record<string, string>) {
  return oidc.genericGrantRequest(config, TOKEN_EXCHANGE, { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, ...params });
}

function radios(html: string): string[] {
  return [...html.matchAll(/<input type="radio" name="entity" value="([^"]+)"/g)].map((m) => m[1]);
}

beforeAll(async () => {
  s = await startTestServer();
  backchannel = await startBackchannelReceiver();
  await department(s, 'SCJG', '市场监管局');
  await department(s, 'GA', '公安局');
  appA = await client(s, {
    name: '企业开办',
    department: 'SCJG',
    redirectUris: [REDIRECT],
    backchannelLogoutUri: backchannel.url,
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  });
  appB = await client(s, { name: '户政服务', department: 'GA', redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE] });
  rpA = await discover(appA);
  rpB = await discover(appB);
  const people = [
    [REP1, '李法人'],
    [AGENT, '王经办'],
    [REP2, '赵代表'],
    [LONER, '孙个人'],
    [LAPSED, '周过期'],
    [REVOKEE, '吴撤销'],
    [EXPIREE, '郑到期'],
    [SUCCESSOR, '钱继任'],
  ] as const;
  for (const [id, name] of people) {
    subs[id] = (await person(s, { idNumber: id, name, phone: null, email: null })).sub;
  }
  for (const [uscc, name, rep] of [[ORG1, '福州一通科技有限公司', REP1], [ORG2, '上海浦东示例有限公司', REP2], [ORG3, '北京海淀示例有限公司', REP2]] as const) {
    const org = await addOrg(s.app, { uscc, name, legalRepIdNumber: rep }, 'test');
    orgs[uscc] = { id: org.id, sub: org.sub };
  }
  await grantAuthorization(s.app, { uscc: ORG1, agentIdNumber: AGENT }, { actor: 'test', activate: true });
  await grantAuthorization(s.app, { uscc: ORG2, agentIdNumber: AGENT, until: `${new Date().getFullYear() + 1}-06-30` }, { actor: 'test', activate: true });
  await grantAuthorization(s.app, { uscc: ORG3, agentIdNumber: REVOKEE }, { actor: 'test', activate: true });
  await grantAuthorization(s.app, { uscc: ORG2, agentIdNumber: EXPIREE }, { actor: 'test', activate: true });
  const lapsed = await grantAuthorization(s.app, { uscc: ORG1, agentIdNumber: LAPSED }, { actor: 'test', activate: true });
  await expire(lapsed.authorization.id);
});

afterAll(async () => {
  await backchannel?.close();
  await s?.close();
});

describe('an agent for two orgs signs in', () => {
  const user = new HttpUser();
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('is asked 办理身份 with themself and both orgs, and acts for the chosen org', async () => {
    const r = await start(user, rpA, AGENT);
    expect(r.done).toBeNull();
    expect(r.html).toContain('办理身份');
    expect(radios(r.html).sort()).toEqual(['person', ORG1, ORG2].sort());
    expect(r.html).toMatch(/<button type="submit"/);
    const done = await choose(user, r.html, ORG1);
    tokens = await redeem(rpA, r.flow, new URL(done.url));
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1, org_name: '福州一通科技有限公司', org_role: 'agent', org_sub: orgs[ORG1].sub });
    expect(claims.org_sub).not.toBe(ORG1);
  });

  it('serves the same entity in userinfo and introspection', async () => {
    const info = await oidc.fetchUserInfo(rpA, tokens.access_token, subs[AGENT]);
    expect(info).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1, org_role: 'agent', org_sub: orgs[ORG1].sub });
    const intro = await oidc.tokenIntrospection(rpA, tokens.access_token);
    expect(intro).toMatchObject({ active: true, sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1, org_role: 'agent', org_sub: orgs[ORG1].sub });
    expect(intro.act).toBeUndefined();
  });

  it('keeps the entity on a silent SSO login (prompt=none) to the same app', async () => {
    const r = await start(user, rpA, null, { prompt: 'none' });
    expect(r.done).not.toBeNull();
    const t = await redeem(rpA, r.flow, r.done!);
    expect(t.claims()).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1 });
  });

  it('asks again at another app, where a silent login cannot choose for them', async () => {
    const silent = await start(user, rpB, null, { prompt: 'none' });
    expect(silent.done!.searchParams.get('error')).toBe('interaction_required');
    const t = await signIn(user, rpB, null, ORG2);
    expect(t.claims()).toMatchObject({ sub: subs[AGENT], uscc: ORG2, org_role: 'agent' });
  });

  it('switches entity at the same app with prompt=select_entity; tokens of the previous entity stop working', async () => {
    const r = await start(user, rpA, null, { prompt: 'select_entity' });
    expect(r.done).toBeNull();
    expect(radios(r.html).sort()).toEqual(['person', ORG1, ORG2].sort());
    const done = await choose(user, r.html, 'person');
    const t = await redeem(rpA, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ sub: subs[AGENT], entity_type: 'natural_person' });
    expect(t.claims()!.uscc).toBeUndefined();
    expect((await oidc.tokenIntrospection(rpA, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rpA, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const silent = await start(user, rpA, null, { prompt: 'none' });
    expect((await redeem(rpA, silent.flow, silent.done!)).claims()).toMatchObject({ entity_type: 'natural_person' });
  });
});

describe('a third-party app (consent after the choice)', () => {
  it('records the choice on the grant that consent creates', async () => {
    const third = await client(s, { name: '第三方服务', redirectUris: [REDIRECT] });
    const rp = await discover(third);
    const user = new HttpUser();
    const r = await start(user, rp, AGENT);
    expect(radios(r.html)).toContain(ORG1);
    const consent = await choose(user, r.html, ORG1);
    const html = await consent.res.text();
    expect(html).toContain('第三方服务');
    expect(html).toContain('办理身份（个人或所代表的单位）');
    const done = await user.postForm(new URL(formAction(html, '/confirm'), s.issuer).toString(), { ...formFields(html), consent: 'yes' }, REDIRECT);
    const t = await redeem(rp, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1, org_role: 'agent' });
    const silent = await start(user, rp, null, { prompt: 'none' });
    expect((await redeem(rp, silent.flow, silent.done!)).claims()).toMatchObject({ uscc: ORG1 });
  });
});

describe('bad entity values', () => {
  it('refuses an org the person may not act for, or garbage, with a clear error and changes nothing', async () => {
    const user = new HttpUser();
    const r = await start(user, rpA, AGENT);
    expect(r.done).toBeNull();
    const before = await contextCount();
    for (const entity of [ORG3, 'NOT-A-USCC', '91350100M000100Y44', '']) {
      const res = await choose(user, r.html, entity);
      expect(res.res.status).toBe(entity ? 403 : 400);
      const html = await res.res.text();
      expect(html).toContain(entity ? '您无权以所选单位的身份办理' : '请选择办理身份');
      expect(html).toContain('办理身份'); // the page again, to choose anew
    }
    expect(await contextCount()).toBe(before);
    const audit = await s.app.audit.list({ event: 'org.entity.select' });
    expect(audit.some((a) => a.outcome === 'denied' && a.actor === subs[AGENT])).toBe(true);
    // the interaction is intact: a valid choice still finishes it
    const done = await choose(user, r.html, ORG2);
    const t = await redeem(rpA, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ uscc: ORG2 });
  });

  it('shows the error in English when asked', async () => {
    const user = new HttpUser();
    const r = await start(user, rpA, AGENT);
    const res = await user.postForm(new URL(`${formAction(r.html, '/select-entity')}?lang=en`, s.issuer).toString(), { ...formFields(r.html), entity: ORG3 }, REDIRECT);
    expect(await res.res.text()).toContain('You may not act for the selected organisation; nothing was changed');
  });
});

describe('no valid authorisation', () => {
  it('lets a person with no org ties continue as a natural person without a page', async () => {
    const t = await signIn(new HttpUser(), rpA, LONER);
    expect(t.claims()).toMatchObject({ sub: subs[LONER], entity_type: 'natural_person' });
    expect(t.claims()!.uscc).toBeUndefined();
  });

  it('tells an agent whose authorisation expired why they continue as a natural person', async () => {
    const user = new HttpUser();
    const r = await start(user, rpA, LAPSED);
    expect(r.done).toBeNull();
    expect(radios(r.html)).toEqual(['person']);
    expect(r.html).toContain('福州一通科技有限公司');
    expect(r.html).toContain('授权已过期');
    expect(r.html).toContain('将以本人身份继续办理');
    const done = await choose(user, r.html, 'person');
    const t = await redeem(rpA, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ sub: subs[LAPSED], entity_type: 'natural_person' });
    // the expired org cannot be forced through the form
    const again = await start(new HttpUser(), rpB, LAPSED);
    expect((await choose(new HttpUser(), again.html, ORG1)).res.status).toBeGreaterThanOrEqual(400);
  });

  it('never blocks a silent login for the explanation', async () => {
    const user = new HttpUser();
    await signIn(user, rpA, LONER);
    const r = await start(user, rpB, null, { prompt: 'none' });
    expect(r.done!.searchParams.get('code')).toBeTruthy();
  });
});

describe("the legal representative's own flow", () => {
  it('acts as legal_representative of their org', async () => {
    const user = new HttpUser();
    const r = await start(user, rpA, REP1);
    expect(radios(r.html).sort()).toEqual(['person', ORG1].sort());
    expect(r.html).toContain('法定代表人');
    const done = await choose(user, r.html, ORG1);
    const t = await redeem(rpA, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ sub: subs[REP1], entity_type: 'legal_person', uscc: ORG1, org_role: 'legal_representative', org_sub: orgs[ORG1].sub });
  });

  it('a legal representative of two orgs chooses between them', async () => {
    const user = new HttpUser();
    const r = await start(user, rpA, REP2);
    expect(radios(r.html).sort()).toEqual(['person', ORG2, ORG3].sort());
    const done = await choose(user, r.html, ORG3);
    const t = await redeem(rpA, r.flow, new URL(done.url));
    expect(t.claims()).toMatchObject({ uscc: ORG3, org_role: 'legal_representative' });
  });
});

describe('revocation ends the org context', () => {
  const user = new HttpUser();
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
  let exchanged: string;

  it('signs the agent in for the org and exchanges a token', async () => {
    tokens = await signIn(user, rpA, REVOKEE, ORG3);
    expect(tokens.claims()).toMatchObject({ uscc: ORG3, org_role: 'agent' });
    expect(tokens.refresh_token).toBeTruthy();
    const person = await signIn(new HttpUser(), rpA, REVOKEE, 'person');
    exchanged = (await exchange(rpA, person.access_token, { uscc: ORG3 })).access_token;
    expect((await oidc.tokenIntrospection(rpA, exchanged)).active).toBe(true);
  });

  it('revoking makes refresh and userinfo fail, sends back-channel logout and kills exchanged tokens', async () => {
    const { ended } = await revokeAuthorization(s.app, { uscc: ORG3, agentIdNumber: REVOKEE }, { actor: 'test' });
    expect(ended.grants).toBeGreaterThanOrEqual(2);
    expect(ended.queued).toBe(1);
    const sid = String(tokens.claims()!.sid);
    await expect.poll(() => logoutTokenFor(subs[REVOKEE], sid), { timeout: 5000 }).toBeTruthy();
    const payload = (await logoutTokenFor(subs[REVOKEE], sid))!;
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    await expect(oidc.refreshTokenGrant(rpA, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rpA, tokens.access_token, subs[REVOKEE])).rejects.toMatchObject({ status: 401 });
    expect((await oidc.tokenIntrospection(rpA, tokens.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rpA, exchanged)).active).toBe(false);
  });

  it('the next login to the app asks again and explains the revocation', async () => {
    const r = await start(user, rpA, null);
    expect(r.done).toBeNull();
    expect(radios(r.html)).toEqual(['person']);
    expect(r.html).toContain('授权已被撤销');
  });
});

describe('expiry ends the org context by itself', () => {
  const user = new HttpUser();
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  it('fails refresh and userinfo once the validity has passed, before any sweep', async () => {
    tokens = await signIn(user, rpA, EXPIREE, ORG2);
    expect(tokens.claims()).toMatchObject({ uscc: ORG2, org_role: 'agent' });
    const first = await oidc.refreshTokenGrant(rpA, tokens.refresh_token!);
    expect(first.claims()).toMatchObject({ uscc: ORG2 });
    tokens = first;
    const [{ id }] = await s.app.db.selectFrom('org_authorizations').select('id').where('person_id', '=', (await personId(EXPIREE))).execute();
    await expire(id);
    await expect(oidc.refreshTokenGrant(rpA, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rpA, tokens.access_token, subs[EXPIREE])).rejects.toMatchObject({ status: 401 });
  });

  it('a silent login cannot carry the expired org on', async () => {
    const r = await start(user, rpA, null, { prompt: 'none' });
    expect(r.done!.searchParams.get('error')).toBe('interaction_required');
  });

  it('the sweep revokes the grant and sends back-channel logout, once', async () => {
    const sid = String(tokens.claims()!.sid);
    // (the server's own sweep may get there first: either way the end is carried out once)
    await sweepOrgs(s.app, s.provider());
    await expect.poll(() => logoutTokenFor(subs[EXPIREE], sid), { timeout: 5000 }).toBeTruthy();
    const r2 = await sweepOrgs(s.app, s.provider());
    expect(r2.ended).toBe(0);
    expect((await oidc.tokenIntrospection(rpA, tokens.access_token)).active).toBe(false);
    const [{ id }] = await s.app.db.selectFrom('org_authorizations').select('id').where('person_id', '=', await personId(EXPIREE)).execute();
    const events = (await s.app.audit.list({ event: 'org.grant.expire' })).filter((e) => e.detail.authorization_id === id);
    expect(events).toHaveLength(1);
    expect(backchannel.tokens.filter((t) => jose.decodeJwt(t).sub === subs[EXPIREE])).toHaveLength(1);
  });
});

async function personId(idNumber: string) {
  const row = await s.app.db.selectFrom('persons').select('id').where('sub', '=', subs[idNumber]).executeTakeFirstOrThrow();
  return row.id;
}

describe('a change of legal representative', () => {
  it("ends the previous representative's org context and keeps the agents' grants", async () => {
    const user = new HttpUser();
    const t = await signIn(user, rpA, REP1, ORG1);
    expect(t.claims()).toMatchObject({ org_role: 'legal_representative' });
    const { ended } = await setLegalRep(s.app, ORG1, SUCCESSOR, 'test');
    expect(ended.grants).toBeGreaterThanOrEqual(1);
    await expect(oidc.refreshTokenGrant(rpA, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect.poll(() => logoutTokenFor(subs[REP1], String(t.claims()!.sid)), { timeout: 5000 }).toBeTruthy();
    // the former representative has nothing to choose any more; the successor and the agent do
    const again = await start(user, rpA, null);
    expect(again.done).not.toBeNull();
    const successor = await start(new HttpUser(), rpA, SUCCESSOR);
    expect(radios(successor.html).sort()).toEqual(['person', ORG1].sort());
    const agent = await start(new HttpUser(), rpA, AGENT);
    expect(radios(agent.html)).toContain(ORG1);
  });
});

describe('token exchange (RFC 8693)', () => {
  let personToken: string;

  beforeAll(async () => {
    personToken = (await signIn(new HttpUser(), rpA, AGENT, 'person')).access_token;
  });

  it('exchanges a person token for an org token with act naming the agent', async () => {
    const r = await exchange(rpA, personToken, { uscc: ORG2, scope: 'openid legal_person' });
    expect(r).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'bearer' });
    expect(r.expires_in).toBeGreaterThan(0);
    expect(r.expires_in).toBeLessThanOrEqual(900);
    // the app introspects it (another department's client may not: see test/integration/clients.test.ts)
    const intro = await oidc.tokenIntrospection(rpA, r.access_token);
    expect(intro).toMatchObject({
      active: true,
      sub: orgs[ORG2].sub,
      act: { sub: subs[AGENT] },
      entity_type: 'legal_person',
      uscc: ORG2,
      org_name: '上海浦东示例有限公司',
      org_role: 'agent',
      org_sub: orgs[ORG2].sub,
      client_id: appA.client_id,
      scope: 'openid legal_person',
    });
    const audit = await s.app.audit.list({ event: 'org.token.exchange' });
    expect(audit[0]).toMatchObject({ outcome: 'success', actor: subs[AGENT] });
  });

  it('refuses an org the person is not authorised for', async () => {
    await expect(exchange(rpA, personToken, { uscc: ORG3 })).rejects.toMatchObject({ error: 'invalid_grant' });
    const audit = await s.app.audit.list({ event: 'org.token.exchange' });
    expect(audit[0]).toMatchObject({ outcome: 'denied', actor: subs[AGENT] });
  });

  it('refuses bad parameters with proper OAuth errors', async () => {
    await expect(exchange(rpA, personToken, { uscc: '91350100M000100Y44' })).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(exchange(rpA, 'not-a-token', { uscc: ORG2 })).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(exchange(rpA, personToken, { uscc: ORG2, scope: 'openid phone' })).rejects.toMatchObject({ error: 'invalid_scope' });
    await expect(exchange(rpA, personToken, { uscc: ORG2, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' })).rejects.toMatchObject({ error: 'invalid_request' });
    await expect(oidc.genericGrantRequest(rpA, TOKEN_EXCHANGE, { subject_token: personToken, subject_token_type: ACCESS_TOKEN_TYPE })).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it("refuses another department's token, public clients and clients not registered for the grant", async () => {
    // appB (公安局) may not exchange a token issued to appA (市场监管局)
    await expect(exchange(rpB, personToken, { uscc: ORG2 })).rejects.toMatchObject({ error: 'invalid_grant' });
    // a back end of the same department may
    const backEnd = await client(s, { department: 'SCJG', redirectUris: [REDIRECT], grantTypes: ['authorization_code', TOKEN_EXCHANGE] });
    const r = await exchange(await discover(backEnd), personToken, { uscc: ORG1 });
    expect(await oidc.tokenIntrospection(rpA, r.access_token)).toMatchObject({ active: true, client_id: backEnd.client_id, uscc: ORG1, act: { sub: subs[AGENT] } });
    const spa = await client(s, { department: 'SCJG', redirectUris: [REDIRECT], public: true, grantTypes: ['authorization_code', TOKEN_EXCHANGE] });
    await expect(exchange(await discover(spa), personToken, { uscc: ORG2 })).rejects.toMatchObject({ error: 'unauthorized_client' });
    // oidc-provider answers a grant type the client is not registered for with invalid_request
    const plain = await client(s, { department: 'SCJG', redirectUris: [REDIRECT] });
    await expect(exchange(await discover(plain), personToken, { uscc: ORG2 })).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('advertises the grant type in discovery', async () => {
    const meta = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as { grant_types_supported: string[] };
    expect(meta.grant_types_supported).toContain(TOKEN_EXCHANGE);
  });
});

describe('audit', () => {
  it('keeps an intact chain with masked ID numbers only', async () => {
    expect(await s.app.audit.verify()).toMatchObject({ ok: true });
    const rows = await s.app.audit.list({ limit: 1000 });
    const text = JSON.stringify(rows);
    for (const id of [REP1, AGENT, REP2, LONER, LAPSED, REVOKEE, EXPIREE, SUCCESSOR]) expect(text).not.toContain(id);
    for (const e of ['org.create', 'org.grant.create', 'org.grant.revoke', 'org.legal_rep.change', 'org.entity.select', 'org.context.end', 'org.token.exchange', 'org.grant.expire'] as const) {
      expect(rows.some((r) => r.event === e), e).toBe(true);
    }
  });
});
