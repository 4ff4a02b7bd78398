// Bad input over HTTP (no browser): unknown clients and unregistered redirect URIs, oversized and
// malformed requests, CSRF, expired interactions, brute force, garbage at the token endpoint, and
// (on PostgreSQL) a database that goes away in the middle of a login and comes back. Every answer
// is a clear page or a protocol error: never a stack trace, never a redirect to an unregistered URI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD, ID_A, ID_B } from '../helpers/fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
const EVIL = 'https://evil.example.com/steal';
const LOCK_AFTER = 3;

/** No stack frames, no exception names: what an attacker or a citizen may see. */
function expectNoLeak(body: string) {
  expect(body).not.toMatch(/\bat [\w$.<>]+ \(|\bat (?:file:\/\/|node:|\/)[^\s]*:\d+:\d+/);
  expect(body).not.toContain('Error:');
  expect(body).not.toMatch(/node_modules|\/src\/[\w/-]+\.ts/);
}

let s: TestServer;
let clientId: string;
let clientSecret: string;

async function authUrl(params: Record<string, string> = {}) {
  const u = new URL(`${s.issuer}/auth`);
  u.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
    ...params,
  }).toString();
  return u.toString();
}

/** A browser that has reached the login page: its cookies, the page, the form. */
async function loginPage(user = new HttpUser()) {
  const page = await user.follow(await authUrl(), REDIRECT);
  expect(page.url).toContain('/interaction/');
  const html = await page.res.text();
  const action = new URL(formAction(html, '/login'), s.issuer).toString();
  const uid = action.match(/\/interaction\/([^/]+)\/login/)![1];
  return { user, html, action, uid, fields: formFields(html) };
}

async function submitLogin(identifier: string, password: string) {
  const p = await loginPage();
  const done = await p.user.postForm(p.action, { ...p.fields, identifier, password }, REDIRECT);
  return { ...p, done, body: done.url.startsWith(REDIRECT) ? '' : await done.res.text() };
}

/** The login page with what differs per interaction taken out (uid, CSRF token, echoed identifier). */
function normalise(body: string, uid: string, fields: Record<string, string>, identifier: string) {
  return body
    .replaceAll(uid, 'UID')
    .replaceAll(fields.csrf, 'CSRF')
    .replace(/name="identifier" value="[^"]*"/, `name="identifier" value="ID"`)
    .replaceAll(identifier, 'ID');
}

beforeAll(async () => {
  s = await startTestServer({ LOGIN_LOCK_AFTER: String(LOCK_AFTER), LOGIN_DELAY_AFTER: '100', LOGIN_IP_LOCK_AFTER: '1000' });
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  clientId = c.client_id;
  clientSecret = c.client_secret!;
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

describe('authorization requests that cannot be trusted', () => {
  it('an unregistered redirect_uri gets an error page with status 400 and no redirect to it', async () => {
    for (const redirect of [EVIL, `${REDIRECT}/../evil`, `${REDIRECT}?x=1`, REDIRECT.toUpperCase(), `${REDIRECT}#frag`]) {
      const res = await new HttpUser().request(await authUrl({ redirect_uri: redirect }));
      expect(res.status, redirect).toBe(400);
      expect(res.headers.get('location'), redirect).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      const body = await res.text();
      expect(body).toContain('redirect_uri');
      expect(body).toContain('出错了');
      expectNoLeak(body);
    }
  });

  it('an unknown client_id gets an error page and no redirect', async () => {
    const res = await new HttpUser().request(await authUrl({ client_id: 'yt_does_not_exist', redirect_uri: EVIL }));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('invalid_client');
    expect(body).not.toContain('evil.example.com');
    expectNoLeak(body);
  });

  it('a missing client_id or garbage parameters get an error page, not a 500', async () => {
    for (const url of [`${s.issuer}/auth`, `${s.issuer}/auth?client_id=%ff%fe&redirect_uri=%zz`, `${s.issuer}/auth?${'a=1&'.repeat(2000)}`]) {
      const res = await new HttpUser().request(url);
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.status, url).toBeLessThan(500);
      expect(res.headers.get('location')).toBeNull();
      expectNoLeak(await res.text());
    }
  });
});

describe('the login form', () => {
  it('answers an oversized POST (100 KB) with a 413 page and no stack trace', async () => {
    const p = await loginPage();
    const res = await p.user.request(p.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...p.fields, identifier: ID_A, password: 'x'.repeat(100 * 1024) }).toString(),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const body = await res.text();
    expect(body).toContain('请求过大');
    expectNoLeak(body);
  });

  it('answers malformed bodies with a clear 4xx page', async () => {
    const p = await loginPage();
    const cases: { type: string; body: string }[] = [
      { type: 'application/x-www-form-urlencoded', body: 'csrf=%E0%A4%A&identifier=%ZZ%&password=%' },
      { type: 'application/x-www-form-urlencoded', body: '\u0000\u0001\u0002'.repeat(100) },
      { type: 'application/json', body: '{"identifier": ' },
      { type: 'multipart/form-data; boundary=x', body: '--x\r\nbroken' },
      { type: 'text/plain', body: 'identifier=a&password=b' },
    ];
    for (const c of cases) {
      const res = await p.user.request(p.action, { method: 'POST', headers: { 'content-type': c.type }, body: c.body });
      expect(res.status, c.type).toBeGreaterThanOrEqual(400);
      expect(res.status, c.type).toBeLessThan(500);
      expect(res.headers.get('location')).toBeNull();
      expectNoLeak(await res.text());
    }
  });

  it('refuses a missing or wrong CSRF token with 403', async () => {
    const p = await loginPage();
    for (const csrf of [undefined, '', 'forged', p.fields.csrf.slice(0, -2) + 'xx']) {
      const fields: Record<string, string> = { ...p.fields, identifier: ID_A, password: PASSWORD };
      if (csrf === undefined) delete fields.csrf;
      else fields.csrf = csrf;
      const res = await p.user.postForm(p.action, fields, REDIRECT);
      expect(res.res.status, String(csrf)).toBe(403);
      const body = await res.res.text();
      expect(body).toContain('页面已过期');
      expectNoLeak(body);
    }
    // a token from another interaction is no good either
    const other = await loginPage();
    const res = await p.user.postForm(p.action, { ...p.fields, csrf: other.fields.csrf, identifier: ID_A, password: PASSWORD }, REDIRECT);
    expect(res.res.status).toBe(403);
    // and the real one still works
    const ok = await p.user.postForm(p.action, { ...p.fields, identifier: ID_A, password: PASSWORD }, REDIRECT);
    expect(ok.url.startsWith(REDIRECT)).toBe(true);
  });

  it('an unknown or expired interaction gets a clear page', async () => {
    // unknown uid, no cookie
    for (const url of [`${s.issuer}/interaction/nonexistent`, `${s.issuer}/interaction/${'x'.repeat(5000)}`]) {
      const res = await new HttpUser().request(url);
      expect(res.status).toBe(400);
      const body = await res.text();
      expect(body).toContain('登录会话已过期');
      expectNoLeak(body);
    }
    const post = await new HttpUser().postForm(`${s.issuer}/interaction/nonexistent/login`, { csrf: 'x', identifier: ID_A, password: PASSWORD });
    expect(post.res.status).toBe(400);
    expect(await post.res.text()).toContain('登录会话已过期');

    // a real interaction that has expired (its stored row is past expires_at)
    const p = await loginPage();
    await sql`update oidc_payloads set expires_at = now() - interval '1 minute' where model = 'Interaction' and id = ${p.uid}`.execute(s.app.db);
    const page = await p.user.request(`${s.issuer}/interaction/${p.uid}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('登录会话已过期');
    const submit = await p.user.postForm(p.action, { ...p.fields, identifier: ID_A, password: PASSWORD }, REDIRECT);
    expect(submit.url.startsWith(REDIRECT)).toBe(false);
    expect(submit.res.status).toBe(400);
    const body = await submit.res.text();
    expect(body).toContain('登录会话已过期');
    expectNoLeak(body);
  });

  // A lock is said as such (issue 8, item 18), but only for the identifier that was tried too often:
  // an unknown identifier tried as often gets the same lock page, and the person's other identifiers
  // are answered like ones nobody has, so no page tells whether an account exists or whose it is.
  it('answers unknown user and wrong password with the same page, and a locked account like a locked unknown identifier', async () => {
    const wrong = 'Wrong@Password1';
    const pages: Record<string, string> = {};
    const statuses: Record<string, number> = {};
    const record = (name: string, r: Awaited<ReturnType<typeof submitLogin>>, identifier: string) => {
      expect(r.done.url.startsWith(REDIRECT), name).toBe(false);
      expectNoLeak(r.body);
      statuses[name] = r.done.res.status;
      pages[name] = normalise(r.body, r.uid, r.fields, identifier);
    };

    record('unknown user', await submitLogin(ID_B, wrong), ID_B);
    record('wrong password', await submitLogin(ID_A, wrong), ID_A);
    for (let i = 1; i < LOCK_AFTER; i++) await submitLogin(ID_A, wrong); // reaches the lockout threshold
    record('locked, right password', await submitLogin(ID_A, PASSWORD), ID_A);
    record('locked, by mobile', await submitLogin('13800138000', PASSWORD), '13800138000');
    for (let i = 0; i < LOCK_AFTER; i++) await submitLogin('nobody-at-all', wrong);
    record('locked, unknown', await submitLogin('nobody-at-all', PASSWORD), 'nobody-at-all');

    expect(pages['wrong password']).toContain('账号或密码错误，或账号暂时无法登录');
    expect(statuses).toEqual({ 'unknown user': 401, 'wrong password': 401, 'locked, right password': 401, 'locked, by mobile': 401, 'locked, unknown': 401 });
    expect(pages['unknown user']).toBe(pages['wrong password']);
    // two locks end at different times: compare the pages without the time
    const lockPage = (name: string) => pages[name].replace(/\d{2}:\d{2}/g, 'HH:MM').replace(/约 \d+ 分钟/g, '约 N 分钟');
    expect(pages['locked, right password']).toContain('登录已暂时锁定');
    expect(lockPage('locked, right password')).toBe(lockPage('locked, unknown'));
    expect(pages['locked, by mobile']).toBe(pages['wrong password']);

    // the lockout is recorded in the audit trail
    const events = await sql<{ event: string }>`select event from audit_log where event = 'login.lockout'`.execute(s.app.db);
    expect(events.rows.length).toBeGreaterThanOrEqual(1);
  });
});

describe('the token endpoint', () => {
  const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

  it('answers garbage with a JSON OAuth error', async () => {
    const cases: { name: string; headers: Record<string, string>; body: string }[] = [
      { name: 'no auth, garbage form', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'garbage' },
      { name: 'malformed JSON', headers: { 'content-type': 'application/json' }, body: '{"grant_type": ' },
      { name: 'binary', headers: { 'content-type': 'application/octet-stream' }, body: '\u0000\u00ff'.repeat(50) },
      { name: 'unknown grant', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() }, body: 'grant_type=password&username=a&password=b' },
      { name: 'bogus code', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() }, body: `grant_type=authorization_code&code=${'A'.repeat(43)}&redirect_uri=${encodeURIComponent(REDIRECT)}&code_verifier=${'a'.repeat(43)}` },
      { name: 'bogus refresh token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() }, body: 'grant_type=refresh_token&refresh_token=garbage' },
      { name: 'wrong secret', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:nope`).toString('base64')}` }, body: 'grant_type=client_credentials' },
      { name: 'broken basic header', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' }, body: 'grant_type=client_credentials' },
      { name: 'huge body', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&x=${'y'.repeat(200 * 1024)}` },
    ];
    for (const c of cases) {
      const res = await fetch(`${s.issuer}/token`, { method: 'POST', headers: c.headers, body: c.body });
      expect(res.status, c.name).toBeGreaterThanOrEqual(400);
      expect(res.status, c.name).toBeLessThan(500);
      expect(res.headers.get('content-type'), c.name).toMatch(/application\/json/);
      const text = await res.text();
      expectNoLeak(text);
      const json = JSON.parse(text) as { error?: unknown };
      expect(typeof json.error, c.name).toBe('string');
      expect(json.error, c.name).toMatch(/^(invalid_request|invalid_client|invalid_grant|unsupported_grant_type|unauthorized_client)$/);
    }
  });
});

// PostgreSQL refuses NUL in text ("invalid byte sequence for encoding UTF8: 0x00", also in jsonb
// as \u0000): a value taken from a request must never reach SQL with one, or it becomes a 500.
describe('NUL bytes in request values', () => {
  const NUL = '\u0000';
  const form = (fields: Record<string, string>, auth = true) => ({
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });

  it('an authorization request with a NUL in client_id gets an error page, not a 500', async () => {
    const res = await new HttpUser().request(await authUrl({ client_id: `yt_${NUL}x` }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expectNoLeak(await res.text());
  });

  it('the token endpoint answers NUL in a refresh token, a code or a client id with a JSON OAuth error', async () => {
    const cases: [string, RequestInit, string][] = [
      ['refresh token', form({ grant_type: 'refresh_token', refresh_token: `${NUL}garbage` }), 'invalid_grant'],
      ['code', form({ grant_type: 'authorization_code', code: `${NUL}code`, redirect_uri: REDIRECT, code_verifier: 'a'.repeat(43) }), 'invalid_grant'],
      ['client id', form({ grant_type: 'client_credentials', client_id: `yt_${NUL}`, client_secret: 'x' }, false), 'invalid_client'],
    ];
    // all cases first, then one comparison: a failure report shows every case at once
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [name, init, error] of cases) {
      const res = await fetch(`${s.issuer}/token`, init);
      const text = await res.text();
      expectNoLeak(text);
      got[name] = `${res.status >= 500 ? res.status : '4xx'} ${(JSON.parse(text) as { error: string }).error}`;
      want[name] = `4xx ${error}`;
    }
    expect(got).toEqual(want);
  });

  it('introspection and revocation of a token with a NUL answer inactive / 200', async () => {
    const intro = await fetch(`${s.issuer}/token/introspection`, form({ token: `${NUL}x` }));
    const rev = await fetch(`${s.issuer}/token/revocation`, form({ token: `${NUL}x` }));
    expect({ introspection: intro.status, body: await intro.json(), revocation: rev.status }).toEqual({ introspection: 200, body: { active: false }, revocation: 200 });
  });

  it('a login with NULs in the identifier and password is an ordinary failed login', async () => {
    for (const [identifier, password] of [
      [`${NUL}${NUL}abc`, 'Wrong@Password1'],
      [`${ID_B}${NUL}`, `pw${NUL}`],
    ]) {
      const r = await submitLogin(identifier, password);
      expect(r.done.res.status, JSON.stringify(identifier)).toBe(401);
      expect(r.body).toContain('账号或密码错误');
      expectNoLeak(r.body);
    }
  });
});

describe.runIf(process.env.DATABASE_URL)('PostgreSQL goes away in the middle of a login', () => {
  let admin: pg.Client;
  let dbName: string;
  const allow = (on: boolean) => admin.query(`alter database "${dbName}" allow_connections ${on}`);

  beforeAll(async () => {
    dbName = decodeURIComponent(new URL(s.config.databaseUrl!).pathname.slice(1));
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = '/postgres';
    admin = new pg.Client({ connectionString: u.toString() });
    await admin.connect();
  });

  afterAll(async () => {
    await allow(true).catch(() => {});
    await admin?.end();
  });

  it('answers 503 (no stack) while the database is down, and recovers by itself', async () => {
    expect((await fetch(`${s.issuer}/readyz`)).status).toBe(200);
    const p = await loginPage();

    await allow(false);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);

    // The first submit meets pooled connections that were just terminated (57P01), the second
    // needs a new connection, which the database refuses ("not currently accepting connections").
    // A new authorization request meets the outage inside oidc-provider.
    const seen: Record<string, string> = {};
    for (const attempt of ['first submit', 'second submit']) {
      const down = await p.user.postForm(p.action, { ...p.fields, identifier: ID_A, password: PASSWORD }, REDIRECT);
      expect(down.url.startsWith(REDIRECT)).toBe(false);
      const body = await down.res.text();
      expectNoLeak(body);
      seen[attempt] = `${down.res.status} ${body.includes('服务暂时不可用') ? 'db.unavailable page' : 'other page'}`;
    }
    // oidc-provider answers with the OAuth error temporarily_unavailable: as a page, or (the client
    // being known) as an error redirect to the app's registered redirect URI; never a 500.
    const auth = await new HttpUser().request(await authUrl());
    const authBody = await auth.text();
    expectNoLeak(authBody);
    const location = auth.headers.get('location');
    if (location) {
      expect(location.startsWith(`${REDIRECT}?`)).toBe(true);
      seen['authorization request'] = `${new URL(location).searchParams.get('error')}`;
    } else {
      seen['authorization request'] = `${auth.status} ${authBody.includes('temporarily_unavailable') ? 'temporarily_unavailable' : 'other'}`;
    }
    seen['/readyz'] = String((await fetch(`${s.issuer}/readyz`)).status);
    seen['/healthz'] = String((await fetch(`${s.issuer}/healthz`)).status);
    // soft: the recovery below is checked (and reported) even when the outage answers are wrong
    expect.soft(seen).toEqual({
      'first submit': '503 db.unavailable page',
      'second submit': '503 db.unavailable page',
      'authorization request': expect.stringMatching(/^(503 )?temporarily_unavailable$/),
      '/readyz': '503',
      '/healthz': '200',
    });

    await allow(true);
    await expect.poll(async () => (await fetch(`${s.issuer}/readyz`)).status, { timeout: 15_000, interval: 250 }).toBe(200);

    // a fresh login completes (a person who is not locked: the brute-force test locked ID_A)
    await person(s, { idNumber: '110101199003070011', phone: '13900139000', email: 'li@example.cn', name: '李四' });
    const fresh = await loginPage();
    const done = await fresh.user.postForm(fresh.action, { ...fresh.fields, identifier: '110101199003070011', password: PASSWORD }, REDIRECT);
    expect(done.url.startsWith(REDIRECT)).toBe(true);
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();
  });
});
