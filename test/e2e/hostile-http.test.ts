// Hostile input at the HTTP layer (issue 8): encoded request bodies, code points PostgreSQL cannot
// store or that make no sense in an OAuth parameter, forged or malformed proxy headers, and the
// client address behind a reverse proxy. Every answer is a 4xx with a clear message or a protocol
// error, never a 5xx, and none of it writes a server.error audit record.
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { logger } from '../../src/log.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
const IP_LOCK_AFTER = 3;

let s: TestServer;
let clientId: string;
let clientSecret: string;

async function authParams(params: Record<string, string> = {}) {
  return new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
    state: 'st',
    ...params,
  });
}

/** A browser (behind the proxy, as `xff` says) on the login page. */
async function loginPage(xff?: string) {
  const user = new HttpUser();
  const headers: Record<string, string> = xff ? { 'x-forwarded-for': xff } : {};
  const first = await user.request(`${s.issuer}/auth?${await authParams()}`, { headers });
  expect(first.status).toBe(303);
  const res = await user.request(new URL(first.headers.get('location')!, s.issuer).toString(), { headers });
  const html = await res.text();
  const action = new URL(formAction(html, '/login'), s.issuer).toString();
  return { user, action, fields: formFields(html), headers };
}

async function submitLogin(xff: string, identifier: string, password: string) {
  const p = await loginPage(xff);
  const res = await p.user.request(p.action, {
    method: 'POST',
    headers: { ...p.headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...p.fields, identifier, password }).toString(),
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

const basic = () => `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

async function serverErrors(): Promise<number> {
  await s.app.audit.drain();
  const r = await sql<{ n: string }>`select count(*) as n from audit_log where event = 'server.error'`.execute(s.app.db);
  return Number(r.rows[0].n);
}

beforeAll(async () => {
  s = await startTestServer({ TRUST_PROXY: '1', LOGIN_IP_LOCK_AFTER: String(IP_LOCK_AFTER), LOGIN_LOCK_AFTER: '100', LOGIN_DELAY_AFTER: '100' });
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  clientId = c.client_id;
  clientSecret = c.client_secret!;
  await person(s);
});

afterAll(async () => {
  await s?.close();
});

describe('a request body with a Content-Encoding', () => {
  const form = 'grant_type=client_credentials&identifier=a&password=b';
  const bodies: Record<string, Buffer> = {
    gzip: zlib.gzipSync(form),
    deflate: zlib.deflateSync(form),
    br: zlib.brotliCompressSync(form),
    'x-unknown': Buffer.from(form),
    'gzip, identity': zlib.gzipSync(form),
  };

  it('is refused with 415 and a clear page on every form POST, whatever the coding (compressed or not)', async () => {
    const p = await loginPage();
    const targets = [p.action, `${s.issuer}/token`, `${s.issuer}/request`, `${s.issuer}/token/introspection`, `${s.issuer}/session/end/confirm`];
    const got: Record<string, string> = {};
    for (const url of targets) {
      for (const [coding, body] of [...Object.entries(bodies), ['gzip', Buffer.from(form)] as const]) {
        const res = await p.user.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': coding }, body });
        const text = await res.text();
        got[`${new URL(url).pathname.replace(/\/interaction\/[^/]+/, '/interaction/UID')} ${coding}`] =
          `${res.status} ${text.includes('不支持') ? 'zh-CN message' : 'other'} accept-encoding=${res.headers.get('accept-encoding')}`;
      }
    }
    expect(Object.values(got).filter((v) => v !== '415 zh-CN message accept-encoding=identity'), JSON.stringify(got, null, 1)).toEqual([]);
  });

  it('answers a JSON client in JSON and an English-speaking browser in English', async () => {
    const json = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip', authorization: basic() }, body: bodies.gzip });
    expect(json.status).toBe(415);
    expect(await json.json()).toEqual({ error: 'request.unsupported_encoding', error_description: expect.stringMatching(/Content-Encoding/) });
    const en = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { 'accept-language': 'en', 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'deflate' }, body: bodies.deflate });
    expect(en.status).toBe(415);
    expect(await en.text()).toMatch(/not accepted/);
  });

  it('identity (or no coding at all) is an ordinary request', async () => {
    const res = await fetch(`${s.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'identity', authorization: basic() }, body: 'grant_type=client_credentials' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token?: string }).access_token).toBeTruthy();
  });
});

describe('code points that cannot be stored or make no sense in a protocol parameter', () => {
  // values as they arrive after URL decoding
  const BAD: Record<string, Record<string, string>> = {
    'NUL in state': { state: 'a\u0000b' },
    'NUL in nonce': { nonce: '\u0000' },
    'NUL in login_hint': { login_hint: 'x\u0000' },
    'C0 control in state': { state: 'a\u0001b' },
    'line feed in state': { state: 'a\nb' },
    'DEL in acr_values': { acr_values: 'urn:yitong:acr:pwd\u007f' },
    'NUL escaped inside the claims JSON': { claims: '{"id_token":{"name":{"essential":true,"value":"a\\u0000"}}}' },
    'lone surrogate escaped inside the claims JSON': { claims: '{"userinfo":{"\\ud800":null}}' },
  };

  it('an authorization request is answered with invalid_request at the registered redirect URI', async () => {
    const got: Record<string, string> = {};
    for (const [name, params] of Object.entries(BAD)) {
      const res = await fetch(`${s.issuer}/auth?${await authParams(params)}`, { redirect: 'manual' });
      const location = res.headers.get('location') ?? '';
      got[name] = location.startsWith(`${REDIRECT}?`) ? `${res.status} ${new URL(location).searchParams.get('error')}` : `${res.status} ${location}`;
    }
    expect(got).toEqual(Object.fromEntries(Object.keys(got).map((k) => [k, '303 invalid_request'])));
  });

  it('a pushed authorization request is answered with a JSON invalid_request', async () => {
    for (const params of Object.values(BAD)) {
      const res = await fetch(`${s.issuer}/request`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() }, body: (await authParams(params)).toString() });
      expect(res.status, JSON.stringify(params)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
    }
  });

  it('RP-initiated logout with a NUL in state is answered with invalid_request, not a 500', async () => {
    for (const headers of [{}, { accept: 'application/json' }]) {
      const res = await fetch(`${s.issuer}/session/end?state=a%00b&client_id=${clientId}`, { redirect: 'manual', headers });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('invalid_request');
    }
  });

  it('ordinary Unicode still passes (Chinese, emoji, spaces in state)', async () => {
    const res = await fetch(`${s.issuer}/auth?${await authParams({ state: '状态 ✓ 🙂', nonce: 'n-1', login_hint: '张三' })}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/interaction\//);
  });

  it('none of it wrote a server.error audit record', async () => {
    expect(await serverErrors()).toBe(0);
  });
});

describe('authorization parameters sent where none are expected (found by the fuzz)', () => {
  it('the resume endpoint with a known client_id in its query string is a 4xx, not a 500', async () => {
    // oidc-provider's error handler for /auth/:uid tries to recover a redirect URI for the client,
    // from parameters that endpoint never assembles
    for (const query of [`client_id=${clientId}`, `client_id=${clientId}&redirect_uri=a&redirect_uri=b`, `client_id=${clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}`]) {
      for (const uid of ['x', '-', 'A'.repeat(43)]) {
        const res = await fetch(`${s.issuer}/auth/${uid}?${query}`, { redirect: 'manual' });
        // an error page, or the error sent to the (registered) redirect URI the query names
        const location = res.headers.get('location');
        if (location) expect(location.startsWith(`${REDIRECT}?error=`), location).toBe(true);
        else expect(res.status, `${uid} ${query}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${uid} ${query}`).toBeLessThan(500);
      }
    }
    expect(await serverErrors()).toBe(0);
  });
});

describe('malformed Host and X-Forwarded-* headers (TRUST_PROXY=1)', () => {
  const discovery = '/.well-known/openid-configuration';

  it('a malformed Host is answered with 400', async () => {
    for (const host of ['a b', '[', 'exa mple.gov.cn:80', 'host:port', 'a/b', '%']) {
      const res = await rawRequest(s.issuer, [`GET ${discovery} HTTP/1.1`, `Host: ${host}`]);
      expect(res.status, host).toBe(400);
    }
  });

  it('a malformed X-Forwarded-Host or X-Forwarded-Proto is answered with 400', async () => {
    const cases: Record<string, string>[] = [
      { 'x-forwarded-host': 'a b/c' },
      { 'x-forwarded-host': '[' },
      { 'x-forwarded-host': 'evil.example.com/path' },
      { 'x-forwarded-proto': 'ht tp' },
      { 'x-forwarded-proto': 'ftp' },
      { 'x-forwarded-proto': '' + 'x'.repeat(300) },
    ];
    for (const headers of cases) {
      for (const path of [discovery, `/auth?${await authParams()}`, '/interaction/x']) {
        const res = await fetch(`${s.issuer}${path}`, { headers, redirect: 'manual' });
        expect(res.status, `${JSON.stringify(headers)} ${path}`).toBe(400);
      }
    }
  });

  it('well-formed forwarded host and protocol are honoured', async () => {
    const res = await fetch(`${s.issuer}${discovery}`, { headers: { 'x-forwarded-host': 'idp.example.gov.cn', 'x-forwarded-proto': 'https' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { authorization_endpoint: string }).authorization_endpoint).toBe('https://idp.example.gov.cn/auth');
  });

  it('an X-Forwarded-For whose client entry is not an IP address is answered with 400, even a 3,000-character one', async () => {
    for (const xff of ['x'.repeat(3000), `${'203.0.113.9, '.repeat(250)}not-an-ip`, '1.2.3.4, 999.1.1.1']) {
      const p = await loginPage();
      const res = await p.user.request(p.action, {
        method: 'POST',
        headers: { 'x-forwarded-for': xff, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...p.fields, identifier: ID_A, password: 'Wrong@Password1' }).toString(),
      });
      expect(res.status, xff.slice(0, 40)).toBe(400);
    }
    // long junk that the client prepended before the proxy's entry does not matter
    const ok = await fetch(`${s.issuer}/healthz`, { headers: { 'x-forwarded-for': `${'y'.repeat(3000)}, 203.0.113.9` } });
    expect(ok.status).toBe(200);
  });
});

describe('the client address behind one trusted proxy', () => {
  const ATTACKER = '203.0.113.50';

  it('is the proxy-appended entry: prepending addresses neither changes it nor escapes the per-IP lock', async () => {
    // The proxy appends the address it sees; everything to its left is whatever the client sent.
    for (let i = 0; i < IP_LOCK_AFTER; i++) {
      const r = await submitLogin(`10.${i}.${i}.${i}, 198.51.100.${i}, ${ATTACKER}`, `unknown${i}@example.cn`, 'Wrong@Password1');
      expect(r.status).toBe(401);
    }
    // locked now, however the client dresses up its X-Forwarded-For
    for (const forged of [`1.2.3.4, ${ATTACKER}`, `${ATTACKER}, ${ATTACKER}`, `::1, 127.0.0.1, ${ATTACKER}`]) {
      const r = await submitLogin(forged, ID_A, PASSWORD);
      expect(r.status, forged).toBe(401);
      // a lock on the client's address is said as such (it tells nothing about accounts)
      expect(r.body).toContain('登录已暂时锁定');
    }
    // another client, who only claims to be the attacker, is not locked
    const other = await submitLogin(`${ATTACKER}, 198.51.100.77`, ID_A, PASSWORD);
    expect(other.status).toBe(303);
    expect(other.location).toMatch(/\/auth\//);

    await s.app.audit.drain();
    const ips = await sql<{ ip: string; outcome: string }>`select ip, outcome from audit_log where event in ('login.success', 'login.failure') order by seq`.execute(s.app.db);
    expect(ips.rows.filter((r) => r.ip !== '198.51.100.77').map((r) => r.ip)).toEqual(Array(IP_LOCK_AFTER + 3).fill(ATTACKER));
    expect(ips.rows.find((r) => r.ip === '198.51.100.77')?.outcome).toBe('success');
  });
});

describe('security events in the log', () => {
  it('a failed login is logged at info with the identifier masked and no password', async () => {
    const info = vi.spyOn(logger, 'info');
    try {
      const r = await submitLogin('192.0.2.10', ID_A, 'Wrong@Password1');
      expect(r.status).toBe(401);
      await s.app.audit.drain();
      const calls = info.mock.calls.map((c) => JSON.stringify(c));
      const line = calls.find((c) => c.includes('"login.failure"'));
      expect(line, calls.join('\n')).toBeDefined();
      expect(line).toContain('110105********002X');
      expect(line).toContain('192.0.2.10');
      expect(calls.join('\n')).not.toContain(ID_A);
      expect(calls.join('\n')).not.toContain('Wrong@Password1');
    } finally {
      info.mockRestore();
    }
  });
});
