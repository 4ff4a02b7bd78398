// Legal persons and agents end to end over HTTP: a departmental app (openid-client) signs an agent
// in, the select_entity prompt asks "办理身份", the choice is part of the grant (silent SSO keeps
// it, another app asks again), the claims follow the contract, revocation and expiry end the org
// context (refresh and userinfo fail, back-channel logout reaches the app), token exchange issues
// org tokens with `act`. Against a real server, on PGlite or PostgreSQL (DATABASE_URL).
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { sql } from 'kysely';
import { startTestServer, freePort, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { addOrg, grantAuthorization, revokeAuthorization, setLegalRep } from '../../src/orgs/service.ts';
import { endAuthorizationContexts, endLegalRepContexts } from '../../src/orgs/contexts.ts';
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
const ORG1 = '91350100M000100Y43';
const ORG2 = '91310115MA1FL00079';
const ORG3 = '91110108MA01ABCD1E';

let s: TestServer;
let backchannel: http.Server;
const logoutTokens: string[] = [];
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

function radios(html: string): string[] {
  return [...html.matchAll(/<input type="radio" name="entity" value="([^"]+)"/g)].map((m) => m[1]);
}

beforeAll(async () => {
  s = await startTestServer();
  const port = await freePort();
  backchannel = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => backchannel.listen(port, '127.0.0.1', r));
  await department(s, 'SCJG', '市场监管局');
  await department(s, 'GA', '公安局');
  appA = await client(s, {
    name: '企业开办',
    department: 'SCJG',
    redirectUris: [REDIRECT],
    backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel`,
    grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE],
  });
  appB = await client(s, { name: '户政服务', department: 'GA', redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', TOKEN_EXCHANGE] });
  rpA = await discover(appA);
  rpB = await discover(appB);
  for (const [id, name] of [[REP1, '李法人'], [AGENT, '王经办'], [REP2, '赵代表'], [LONER, '孙个人'], [LAPSED, '周过期']] as const) {
    subs[id] = (await person(s, { idNumber: id, name, phone: null, email: null })).sub;
  }
  for (const [uscc, name, rep] of [[ORG1, '福州一通科技有限公司', REP1], [ORG2, '上海浦东示例有限公司', REP2], [ORG3, '北京海淀示例有限公司', REP2]] as const) {
    const org = await addOrg(s.app, { uscc, name, legalRepIdNumber: rep }, 'test');
    orgs[uscc] = { id: org.id, sub: org.sub };
  }
  await grantAuthorization(s.app, { uscc: ORG1, agentIdNumber: AGENT }, { actor: 'test', activate: true });
  await grantAuthorization(s.app, { uscc: ORG2, agentIdNumber: AGENT, until: '2099-01-01'.replace('2099', String(new Date().getFullYear() + 1)) }, { actor: 'test', activate: true });
});

afterAll(async () => {
  backchannel?.close();
  await s?.close();
});

describe('an agent for two orgs signs in', () => {
  const user = new HttpUser();
  let tokens: Awaited<ReturnType<typeof redeem>>;

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

  it('serves the same entity in userinfo', async () => {
    const info = await oidc.fetchUserInfo(rpA, tokens.access_token, subs[AGENT]);
    expect(info).toMatchObject({ sub: subs[AGENT], entity_type: 'legal_person', uscc: ORG1, org_role: 'agent', org_sub: orgs[ORG1].sub });
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
});
