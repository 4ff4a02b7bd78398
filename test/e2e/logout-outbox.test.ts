// Logout that reaches every app: each governance event ends the person's sessions and grants at
// once (refresh invalid_grant, introspection inactive, userinfo 401) and every app is told over the
// back channel from the durable outbox: retried while it is down, given up on a 4xx, delivered
// once with two nodes on one database, and by the other node when one dies mid-delivery.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { sql } from 'kysely';
import { startTestServer, freePort, type TestServer } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { residentId } from '../fixtures/legacy/support.ts';
import { TEST_CRYPTO_ENV, TEST_MASTER_KEY } from '../helpers/db.ts';
import { loadConfig } from '../../src/config/env.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { logoutPerson, setPersonStatus } from '../../src/accounts/lifecycle.ts';
import { setClientStatus } from '../../src/clients/service.ts';
import { sweepExpiredSessions } from '../../src/logout/tasks.ts';
import { createDelivery } from '../../src/logout/delivery.ts';
import { listOutbox } from '../../src/logout/outbox.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const REDIRECT_A = 'https://ga.example.gov.cn/cb';
const REDIRECT_B = 'https://rs.example.gov.cn/cb';
const FAST = { LOGOUT_POLL_MS: '100', LOGOUT_RETRY_BASE_MS: '300', LOGOUT_LEASE_SECONDS: '5' };

interface App {
  clientId: string;
  rp: oidc.Configuration;
  redirect: string;
  receiver: BackchannelReceiver;
}

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

async function addApp(s: TestServer, code: string, redirect: string, receiver: BackchannelReceiver): Promise<App> {
  const c = await client(s, { department: code, redirectUris: [redirect], backchannelLogoutUri: receiver.url, grantTypes: ['authorization_code', 'refresh_token'] });
  const rp = await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { clientId: c.client_id, rp, redirect, receiver };
}

/** Signs in at an app in the user's browser session (the login form the first time, SSO after). */
async function signIn(s: TestServer, user: HttpUser, app: App, idNumber: string, scope = 'openid profile offline_access'): Promise<Tokens> {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(app.rp, {
    redirect_uri: app.redirect,
    scope,
    ...(scope.includes('offline_access') ? { prompt: 'consent' } : {}),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  let page = await user.follow(url.toString(), app.redirect);
  if (!page.url.startsWith(app.redirect)) {
    const html = await page.res.text();
    page = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: idNumber, password: PASSWORD }, app.redirect);
  }
  const callback = new URL(page.url);
  if (callback.searchParams.has('error')) throw new Error(`sign-in at ${app.redirect} failed: ${callback.search}`);
  return oidc.authorizationCodeGrant(app.rp, callback, { pkceCodeVerifier: verifier });
}

/** The verified logout token the app received for this person's session there. */
async function logoutTokenAt(s: TestServer, app: App, sub: string, sid: string) {
  const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
  for (const t of app.receiver.tokens) {
    const claims = jose.decodeJwt(t);
    if (claims.sub !== sub || claims.sid !== sid) continue;
    const { payload, protectedHeader } = await jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: app.clientId, typ: 'logout+jwt' });
    expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
    expect(payload).not.toHaveProperty('nonce');
    expect(typeof payload.jti).toBe('string');
    expect(protectedHeader.kid).toBeTruthy();
    return payload;
  }
  return undefined;
}

async function expectDead(app: App, tokens: Tokens, sub: string) {
  await expect(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  expect((await oidc.tokenIntrospection(app.rp, tokens.access_token)).active).toBe(false);
  await expect(oidc.fetchUserInfo(app.rp, tokens.access_token, sub)).rejects.toMatchObject({ status: 401 });
}

describe('governance events end sessions everywhere', () => {
  let s: TestServer;
  let a: App;
  let b: App;
  let receiverB: BackchannelReceiver;
  let answerB: (attempt: number, token: string) => number | 'hold' = () => 200;
  const ID = residentId('110105', '19800101', 11);
  let sub: string;

  beforeAll(async () => {
    s = await startTestServer(FAST);
    await department(s, 'GA', '公安局');
    await department(s, 'RS', '人社局');
    a = await addApp(s, 'GA', REDIRECT_A, await startBackchannelReceiver());
    receiverB = await startBackchannelReceiver({ answer: (n, token) => answerB(n, token) });
    b = await addApp(s, 'RS', REDIRECT_B, receiverB);
    sub = (await person(s, { idNumber: ID, name: '周一', phone: null, email: null })).sub;
  });
  afterAll(async () => {
    await a?.receiver.close();
    await receiverB?.close();
    await s?.close();
  });

  async function signedInAtBoth() {
    const user = new HttpUser();
    const ta = await signIn(s, user, a, ID);
    const tb = await signIn(s, user, b, ID);
    expect(tb.claims()!.auth_time).toBe(ta.claims()!.auth_time); // one browser session, SSO at the second app
    // each app knows the session by an id of its own
    return { user, ta, tb, sid: new Map([[a, String(ta.claims()!.sid)], [b, String(tb.claims()!.sid)]]) };
  }

  async function expectToldAndDead(x: Awaited<ReturnType<typeof signedInAtBoth>>, apps: App[] = [a, b]) {
    for (const app of apps) await expect.poll(() => logoutTokenAt(s, app, sub, x.sid.get(app)!), { timeout: 10_000 }).toBeTruthy();
    for (const app of apps) await expectDead(app, app === a ? x.ta : x.tb, sub);
  }

  it('an administrator signing the person out ends the session at both apps and tells both', async () => {
    const x = await signedInAtBoth();
    const r = await logoutPerson(s.app, ID, 'test');
    expect(r.ended).toMatchObject({ sessions: 1, queued: 2 });
    await expectToldAndDead(x);
    // the browser's SSO session is gone too: the next sign-in asks for the password again
    const page = await x.user.follow(oidc.buildAuthorizationUrl(a.rp, { redirect_uri: REDIRECT_A, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString(), REDIRECT_A);
    expect(await page.res.text()).toContain('name="password"');
  });

  it('disabling the person does the same, and enabling does not sign anyone in', async () => {
    const x = await signedInAtBoth();
    const r = await setPersonStatus(s.app, ID, 'disabled', 'test');
    expect(r).toMatchObject({ status: 'disabled', changed: true });
    await expectToldAndDead(x);
    expect((await setPersonStatus(s.app, ID, 'active', 'test')).ended).toBeNull();
  });

  it('disabling an app ends its users\u2019 sessions there only', async () => {
    const x = await signedInAtBoth();
    await setClientStatus(s.app, a.clientId, 'disabled', 'test');
    try {
      await expect.poll(() => logoutTokenAt(s, a, sub, x.sid.get(a)!), { timeout: 10_000 }).toBeTruthy();
      expect((await oidc.tokenIntrospection(b.rp, x.tb.access_token)).active).toBe(true);
      expect((await oidc.refreshTokenGrant(b.rp, x.tb.refresh_token!)).access_token).toBeTruthy();
    } finally {
      await setClientStatus(s.app, a.clientId, 'active', 'test');
    }
    await expect(oidc.refreshTokenGrant(a.rp, x.ta.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await logoutPerson(s.app, ID, 'test');
  });

  it('a session past its lifetime is ended by the sweep and both apps are told', async () => {
    const user = new HttpUser();
    const ta = await signIn(s, user, a, ID, 'openid profile');
    const tb = await signIn(s, user, b, ID, 'openid profile');
    const sid = new Map([[a, String(ta.claims()!.sid)], [b, String(tb.claims()!.sid)]]);
    await sql`update oidc_payloads set expires_at = now() - interval '1 second' where model = 'Session' and account_id = ${sub}`.execute(s.app.db);
    expect(await sweepExpiredSessions(s.app)).toBeGreaterThanOrEqual(1);
    for (const app of [a, b]) await expect.poll(() => logoutTokenAt(s, app, sub, sid.get(app)!), { timeout: 10_000 }).toBeTruthy();
    expect((await oidc.tokenIntrospection(a.rp, ta.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(b.rp, tb.access_token)).active).toBe(false);
  });

  it('an app that is down is retried until it answers, and every failed attempt is audited', async () => {
    const x = await signedInAtBoth();
    // this session's logout (an earlier test's may still be arriving) is refused three times
    const mine = (token: string) => jose.decodeJwt(token).sid === x.sid.get(b);
    let refused = 0;
    answerB = (_n, token) => (mine(token) && refused++ < 3 ? 503 : 200);
    try {
      const r = await logoutPerson(s.app, ID, 'test');
      await expect.poll(() => logoutTokenAt(s, a, sub, x.sid.get(a)!), { timeout: 5_000 }).toBeTruthy();
      await expect.poll(() => logoutTokenAt(s, b, sub, x.sid.get(b)!), { timeout: 20_000 }).toBeTruthy();
      expect(receiverB.attempts.filter((t) => mine(t.token)).map((t) => t.status)).toEqual([503, 503, 503, 200]);
      // the audit record of the last attempt follows its delivery
      const audited = async () => (await s.app.audit.list({ event: 'logout.backchannel' })).filter((e) => e.detail.event_id === r.ended.eventId && e.clientId === b.clientId);
      await expect.poll(async () => (await audited()).length, { timeout: 5_000 }).toBe(4);
      const attempts = await audited();
      expect(attempts.map((e) => [e.outcome, e.detail.attempt, e.detail.status]).sort((p, q) => Number(p[1]) - Number(q[1]))).toEqual([
        ['failure', 1, 503],
        ['failure', 2, 503],
        ['failure', 3, 503],
        ['success', 4, 200],
      ]);
    } finally {
      answerB = () => 200;
    }
  });

  it('a 4xx answer other than 429 is final: the delivery is marked failed, not retried', async () => {
    const x = await signedInAtBoth();
    answerB = () => 400;
    try {
      const r = await logoutPerson(s.app, ID, 'test');
      const mine = async () => (await listOutbox(s.app, { limit: 50 })).find((d) => d.event_id === r.ended.eventId && d.client_id === b.clientId);
      await expect.poll(async () => (await mine())?.status, { timeout: 10_000 }).toBe('failed');
      expect(await mine()).toMatchObject({ attempts: 1, last_status: 400 });
      await expect.poll(() => logoutTokenAt(s, a, sub, x.sid.get(a)!), { timeout: 5_000 }).toBeTruthy();
    } finally {
      answerB = () => 200;
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('several nodes on one PostgreSQL', () => {
  let s: TestServer;
  let second: RunningServer;
  let a: App;
  let b: App;
  const ids = Array.from({ length: 8 }, (_, i) => residentId('350102', '19900101', 100 + i));

  beforeAll(async () => {
    s = await startTestServer(FAST);
    const port = await freePort();
    second = await startServer(loadConfig({ ...Object.fromEntries(Object.entries(process.env)), ...configEnv(s), ...FAST, PORT: String(port) }));
    await department(s, 'GA', '公安局');
    await department(s, 'RS', '人社局');
    a = await addApp(s, 'GA', REDIRECT_A, await startBackchannelReceiver());
    b = await addApp(s, 'RS', REDIRECT_B, await startBackchannelReceiver());
    for (const id of ids) await person(s, { idNumber: id, name: '林二', phone: null, email: null });
  });
  afterAll(async () => {
    await a?.receiver.close();
    await b?.receiver.close();
    await second?.stop();
    await s?.close();
  });

  it('deliver exactly one logout per app and session when many sessions end at once', async () => {
    const sessions = await Promise.all(
      ids.map(async (id) => {
        const user = new HttpUser();
        const ta = await signIn(s, user, a, id);
        const tb = await signIn(s, user, b, id);
        return { id, sub: String(ta.claims()!.sub), sid: new Map([[a, String(ta.claims()!.sid)], [b, String(tb.claims()!.sid)]]) };
      }),
    );
    await Promise.all(ids.map((id) => logoutPerson(s.app, id, 'test')));
    for (const app of [a, b]) await expect.poll(() => app.receiver.tokens.length, { timeout: 15_000 }).toBe(ids.length);
    // give a duplicate the chance to show up, then check there was none
    await new Promise((r) => setTimeout(r, 1000));
    for (const app of [a, b]) {
      expect(app.receiver.attempts).toHaveLength(ids.length);
      const got = app.receiver.tokens.map((t) => jose.decodeJwt(t)).map((c) => `${c.sub} ${c.sid}`).sort();
      expect(got).toEqual(sessions.map((x) => `${x.sub} ${x.sid.get(app)}`).sort());
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('a node killed mid-delivery', () => {
  let s: TestServer;
  let app: App;

  beforeAll(async () => {
    // this node does not deliver by itself: the child node does, then the test delivers as the survivor
    s = await startTestServer({ ...FAST, LOGOUT_POLL_MS: '3600000' });
    await department(s, 'GA', '公安局');
    app = await addApp(s, 'GA', REDIRECT_A, await startBackchannelReceiver({ answer: (n) => (n === 0 ? 'hold' : 200) }));
  });
  afterAll(async () => {
    await app?.receiver.close();
    await s?.close();
  });

  it('leaves its claimed delivery to another node once the lease runs out', async () => {
    const id = residentId('440106', '19850505', 21);
    const { sub } = await person(s, { idNumber: id, name: '陈三', phone: null, email: null });
    const t = await signIn(s, new HttpUser(), app, id);
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/yitong.js'), 'serve'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...configEnv(s), ...FAST, PORT: String(port), LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      await logoutPerson(s.app, id, 'test');
      // the child claims the delivery and posts it; the app holds the request without answering
      await expect.poll(() => app.receiver.attempts.length, { timeout: 30_000 }).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
    const deliverDue = createDelivery(s.app, s.config.logout);
    expect(await deliverDue()).toBe(0); // still leased to the dead node
    await expect.poll(async () => (await deliverDue(), app.receiver.tokens.length), { timeout: 20_000, interval: 500 }).toBe(1);
    const claims = jose.decodeJwt(app.receiver.tokens[0]);
    expect(claims).toMatchObject({ sub, sid: t.claims()!.sid });
  });
});

/** The environment of a node on the same database and issuer as `s`. */
function configEnv(s: TestServer): Record<string, string> {
  return { DATABASE_URL: s.config.databaseUrl!, ISSUER: s.issuer, YITONG_MASTER_KEY: TEST_MASTER_KEY, DATA_DIR: s.config.dataDir, NODE_ENV: 'test', ...TEST_CRYPTO_ENV };
}
