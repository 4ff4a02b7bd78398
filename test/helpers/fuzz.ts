// A seeded HTTP fuzzer for a running test server: random methods, paths from discovery and the
// app's own routes, random and malformed parameters, headers, codings and bodies, sent over bare
// sockets (so nothing is fixed up by a client library). Deterministic for a seed, bounded in count.
import zlib from 'node:zlib';
import net from 'node:net';
import * as oidc from 'openid-client';
import { parseRawResponse, type RawResponse } from './raw-http.ts';
import type { TestServer } from './server.ts';
import { HttpUser, formAction, formFields } from './http-user.ts';
import { client, department, person, PASSWORD, ID_A } from './fixtures.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';

/** What a session of the fuzzer starts from: a client, a person's login pages, tokens. */
export interface FuzzContext {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** endpoints from discovery */
  endpoints: string[];
  /** login pages reached by a browser: the form action, its fields, the cookies */
  pages: { action: string; fields: Record<string, string>; cookie: string }[];
  accessToken?: string;
  refreshToken?: string;
  /** the cookies of a browser signed in to Yitong (SSO session) */
  sessionCookie?: string;
}

export interface FuzzResult {
  sent: number;
  byStatus: Record<string, number>;
  /** every 5xx and connection failure, with the request that caused it */
  failures: { request: string; status: number | string; body: string }[];
}

/** mulberry32: small, seeded, good enough to pick inputs. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof rng>;

const PARAMS = [
  'client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt',
  'max_age', 'claims', 'login_hint', 'ui_locales', 'id_token_hint', 'request', 'request_uri', 'response_mode', 'acr_values',
  'grant_type', 'code', 'code_verifier', 'refresh_token', 'token', 'token_type_hint', 'post_logout_redirect_uri', 'logout_hint',
  'xsrf', 'logout', 'lang', 'csrf', 'identifier', 'password', 'consent', 'entity', 'client_secret', 'client_assertion',
  'client_assertion_type', 'resource', 'subject_token', 'subject_token_type', 'uscc', 'audience', 'dpop_jkt', 'registration',
];

// Raw (already percent-encoded where needed) values: what arrives after URL decoding is the point.
function rawValue(r: Rng, ctx: FuzzContext): string {
  const enc = encodeURIComponent;
  switch (r.int(22)) {
    case 0: return '';
    case 1: return enc(ctx.clientId);
    case 2: return enc(ctx.redirectUri);
    case 3: return r.pick(['code', 'token', 'id_token', 'code%20id_token', 'none']);
    case 4: return r.pick(['openid', 'openid%20profile', 'openid%20offline_access', 'openid%20legal_person%20id_card', 'email%00']);
    case 5: return 'x'.repeat(r.pick([1, 43, 256, 2048, 9000]));
    case 6: return r.pick(['%00', 'a%00b', '%01%02%03', '%0a%0d', '%7f', '%1b[31m', '%09']);
    case 7: return r.pick(['%ED%A0%80', '%ED%B0%80', '%F0%9F%98', '%C0%AF', '%FF%FE', '%E0%A4%A']);
    case 8: return r.pick(['%zz', '%', '%%', '%2', '%u0000', '%25%30%30']);
    case 9: return enc(r.pick(['状态', '🙂', 'ｆｕｌｌ', '\u202e', '\ufeff', '\ud7ff']));
    case 10: return enc(r.pick(['{}', '[]', 'null', '{"id_token":{"acr":{"essential":true}}}', '{"userinfo":{"\\u0000":null}}', '{"id_token":{"name":{"value":"\\ud800"}}}', '{"a":', '1e999', '{"__proto__":{"x":1}}']));
    case 11: return r.pick(['-1', '0', '1e309', 'NaN', '99999999999999999999', '0x10', '1.5']);
    case 12: return r.pick(['S256', 'plain', 'S512', '']);
    case 13: return r.pick(['authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:token-exchange', 'implicit']);
    case 14: return enc(ctx.accessToken ?? 'at');
    case 15: return enc(ctx.refreshToken ?? 'rt');
    case 16: return enc(r.pick(['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'a.b.c', 'eyJ.eyJ.', '....']));
    case 17: return r.pick(['login', 'consent', 'none', 'select_account', 'login%20none', 'select_entity']);
    case 18: return enc(r.pick(['https://evil.example.com/', 'javascript:alert(1)', 'http://[::1', '//evil', 'urn:ietf:params:oauth:request_uri:x']));
    case 19: return enc(r.pick(['11010519491231002X', '13800138000', 'zhang@example.cn', 'GA/admin', '91350100M000100Y43']));
    case 20: return enc(Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(0x3000))).join(''));
    default: return enc(String(r.int(1e9)));
  }
}

function query(r: Rng, ctx: FuzzContext, n = r.int(8)): string {
  const parts: string[] = [];
  if (r.chance(0.5)) {
    parts.push(`client_id=${encodeURIComponent(ctx.clientId)}`, `redirect_uri=${encodeURIComponent(ctx.redirectUri)}`, 'response_type=code', 'scope=openid');
    if (r.chance(0.7)) parts.push(`code_challenge=${'A'.repeat(43)}`, 'code_challenge_method=S256');
  }
  for (let i = 0; i < n; i++) {
    const name = r.chance(0.9) ? r.pick(PARAMS) : rawValue(r, ctx) || 'x';
    parts.push(r.chance(0.05) ? name : `${name}=${rawValue(r, ctx)}`);
  }
  if (r.chance(0.1)) parts.push('&&&', '=', '==x');
  return parts.join('&');
}

function path(r: Rng, ctx: FuzzContext): string {
  const page = ctx.pages.length ? r.pick(ctx.pages) : undefined;
  const uid = page ? new URL(page.action).pathname.split('/')[2] : 'x';
  const own = [
    '/', '/healthz', '/readyz', '/metrics', '/assets/app.css', '/assets/orgs.css', '/orgs', '/orgs/login', '/orgs/callback',
    '/orgs/91350100M000100Y43/agents', '/orgs/91350100M000100Y43/agents/1/revoke', '/orgs/authorizations/1/accept',
    `/interaction/${uid}`, `/interaction/${uid}/login`, `/interaction/${uid}/confirm`, `/interaction/${uid}/abort`, `/interaction/${uid}/select-entity`,
    `/auth/${uid}`, '/session/end/confirm', '/session/end/success', '/interaction/', '/interaction/%00', `/interaction/${'x'.repeat(3000)}`,
  ];
  let p = r.chance(0.6) ? r.pick(ctx.endpoints) : r.pick(own);
  if (r.chance(0.05)) p += r.pick(['/', '/..', '/%2e%2e/', '%00', '/x', '//', ';a=b', '%2F', '/%ff']);
  if (r.chance(0.05)) p = r.pick(['*', '//auth', '/./auth', '/AUTH', '/auth%20', '/%', '/..%2f..%2fetc/passwd', 'http://evil.example.com/auth']);
  return p;
}

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'TRACE', 'FOO', 'CONNECT'];

interface Built {
  head: string[];
  body: Buffer;
  describe: string;
}

function build(r: Rng, ctx: FuzzContext): Built {
  const method = r.pick(METHODS);
  const page = ctx.pages.length && r.chance(0.25) ? r.pick(ctx.pages) : undefined;
  let target = page && method === 'POST' ? new URL(page.action).pathname : path(r, ctx);
  if (r.chance(0.6) && !target.includes('?')) target += `?${query(r, ctx)}`;
  const headers: string[] = [];
  const host = new URL(ctx.issuer).host;
  headers.push(`Host: ${r.chance(0.05) ? r.pick(['a b', '[', 'x:99999', 'evil.example.com', 'h:p', '', '%00', 'user@host', '[::1]:80', 'é.example']) : host}`);
  if (r.chance(0.5)) headers.push(`Accept: ${r.pick(['application/json', 'text/html', '*/*', 'application/json, text/html', 'garbage/%%', ''])}`);
  if (r.chance(0.3)) headers.push(`Accept-Language: ${r.pick(['en', 'zh-CN', 'en;q=0.1,zh', 'xx-YY', ';;;', 'en'.repeat(500)])}`);
  if (r.chance(0.2)) headers.push(`X-Forwarded-For: ${r.pick(['1.2.3.4', '1.2.3.4, 5.6.7.8', 'x'.repeat(3000), '::1', '[::1]:80', '1.2.3.4:5', ', ,', 'unknown', '999.1.1.1', '203.0.113.9, ' + 'y'.repeat(200)])}`);
  if (r.chance(0.1)) headers.push(`X-Forwarded-Host: ${r.pick(['idp.example.gov.cn', 'a b', '[', 'evil.example.com/x', 'x:0', 'a,b'])}`);
  if (r.chance(0.1)) headers.push(`X-Forwarded-Proto: ${r.pick(['https', 'http', 'ftp', 'ht tp', 'HTTPS', 'https, http', ''])}`);
  if (page && r.chance(0.8)) headers.push(`Cookie: ${page.cookie}`);
  else if (ctx.sessionCookie && r.chance(0.3)) headers.push(`Cookie: ${ctx.sessionCookie}`);
  else if (r.chance(0.1)) headers.push(`Cookie: ${r.pick(['_interaction=x', '_session=%00', 'a'.repeat(4000), '=;=;', '_session.sig=x; _session=y', 'yt_lang=%ff'])}`);
  const basic = `Basic ${Buffer.from(`${ctx.clientId}:${ctx.clientSecret}`).toString('base64')}`;
  if (r.chance(0.3)) headers.push(`Authorization: ${r.pick([basic, basic, 'Basic %%%', 'Basic ' + Buffer.from(':').toString('base64'), `Bearer ${ctx.accessToken ?? 'x'}`, 'Bearer \u00ff', 'DPoP x', 'Basic ' + 'A'.repeat(5000)])}`);
  if (r.chance(0.05)) headers.push(`Origin: ${r.pick(['https://evil.example.com', 'null', ctx.issuer])}`);
  if (r.chance(0.03)) headers.push(r.pick(['Upgrade: websocket\r\nConnection: Upgrade', 'Expect: 100-continue', 'Expect: nonsense', 'Range: bytes=0-1', 'If-None-Match: *', 'Transfer-Encoding: chunked']));

  let body = Buffer.alloc(0);
  if (method !== 'GET' && method !== 'HEAD' && r.chance(0.85)) {
    const kind = r.int(10);
    let fields = query(r, ctx, 3 + r.int(6));
    if (page) fields += `&${new URLSearchParams({ ...page.fields, identifier: r.pick(['11010519491231002X', '13800138000', 'nobody', '\u0000']), password: r.pick(['Wrong@Password1', '', 'x'.repeat(2000)]) })}`;
    const type = [
      'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded; charset=gbk',
      'application/json', 'multipart/form-data; boundary=x', 'text/plain', 'application/octet-stream', 'garbage',
      'application/x-www-form-urlencoded; charset=x-unknown', 'application/json; charset=utf-16',
    ][kind];
    headers.push(`Content-Type: ${type}`);
    if (type.startsWith('application/json')) body = Buffer.from(r.pick(['{"grant_type":"client_credentials"}', '{"a":', '[]', 'null', '{"state":"\\u0000"}', '"\\ud800"', JSON.stringify(Object.fromEntries(new URLSearchParams(fields)))]));
    else if (type.startsWith('multipart')) body = Buffer.from(r.pick(['--x\r\nbroken', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n']));
    else if (type === 'application/octet-stream') body = Buffer.from(Array.from({ length: r.int(300) }, () => r.int(256)));
    else body = Buffer.from(fields);
    if (r.chance(0.1)) {
      const coding = r.pick(['gzip', 'deflate', 'br', 'x-unknown', 'identity', 'gzip, identity', 'GZIP']);
      headers.push(`Content-Encoding: ${coding}`);
      if (coding === 'gzip' && r.chance(0.5)) body = zlib.gzipSync(body);
    }
    if (r.chance(0.02)) body = Buffer.concat([body, Buffer.from('&x=' + 'y'.repeat(100 * 1024))]);
  }
  const version = r.chance(0.03) ? r.pick(['HTTP/1.0', 'HTTP/0.9', 'HTTP/2.0', 'HTTP/1.1 x']) : 'HTTP/1.1';
  if (version === 'HTTP/1.0' && r.chance(0.5)) headers.splice(0, 1); // no Host, as old clients send
  const describe = `${method} ${target.slice(0, 300)} ${version} | ${headers.filter((h) => !h.startsWith('Host: 127')).map((h) => h.slice(0, 120)).join(' | ')} | body ${body.length}B ${body.subarray(0, 120).toString('latin1')}`;
  return { head: [`${method} ${target} ${version}`, ...headers], body, describe };
}

function send(url: string, b: Built, timeoutMs: number): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      // the answer may be complete already (the server refused the rest of an oversized body)
      if (chunks.length) resolve(parseRawResponse(Buffer.concat(chunks).toString('utf8')));
      else reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRawResponse(Buffer.concat(chunks).toString('utf8')));
    });
    const head = [...b.head, 'Connection: close', ...(b.body.length ? [`Content-Length: ${b.body.length}`] : [])].join('\r\n') + '\r\n\r\n';
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), b.body])); // no half-close (see raw-http.ts)
  });
}

export async function fuzz(ctx: FuzzContext, opts: { seed: number; requests: number; concurrency?: number; timeoutMs?: number }): Promise<FuzzResult> {
  const r = rng(opts.seed);
  const built = Array.from({ length: opts.requests }, () => build(r, ctx));
  const result: FuzzResult = { sent: 0, byStatus: {}, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < built.length) {
      const b = built[next++];
      let status: number | string;
      let body = '';
      try {
        const res = await send(ctx.issuer, b, opts.timeoutMs ?? 15_000);
        status = Number.isFinite(res.status) ? res.status : 'no response';
        body = res.body;
      } catch (err) {
        status = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      }
      result.sent++;
      result.byStatus[String(status)] = (result.byStatus[String(status)] ?? 0) + 1;
      if (typeof status !== 'number' || status >= 500) result.failures.push({ request: b.describe, status, body: body.slice(0, 300) });
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  return result;
}

async function loginPage(s: TestServer, clientId: string, verifier: string) {
  const user = new HttpUser();
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile offline_access',
    prompt: 'consent',
    redirect_uri: REDIRECT,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const page = await user.follow(`${s.issuer}/auth?${q}`, REDIRECT);
  const html = await page.res.text();
  return { user, action: new URL(formAction(html, '/login'), s.issuer).toString(), fields: formFields(html) };
}

/** A client, a person, the person's tokens and four login pages on a fresh test server. */
export async function prepareFuzz(s: TestServer): Promise<FuzzContext> {
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT], postLogoutRedirectUris: [REDIRECT], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] });
  await person(s);

  const discovery = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const endpoints = Object.entries(discovery)
    .filter(([k, v]) => (k.endsWith('_endpoint') || k === 'jwks_uri') && typeof v === 'string')
    .map(([, v]) => new URL(v as string).pathname);

  // a signed-in person's tokens, for the endpoints that take them
  const verifier = oidc.randomPKCECodeVerifier();
  const p = await loginPage(s, c.client_id, verifier);
  const done = await p.user.postForm(p.action, { ...p.fields, identifier: ID_A, password: PASSWORD }, REDIRECT);
  const code = new URL(done.url).searchParams.get('code')!;
  const tokens = (await (
    await fetch(`${s.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
    })
  ).json()) as { access_token: string; refresh_token: string };

  const pages = [];
  for (let i = 0; i < 4; i++) {
    const page = await loginPage(s, c.client_id, oidc.randomPKCECodeVerifier());
    pages.push({ action: page.action, fields: page.fields, cookie: page.user.cookieHeader() });
  }
  return {
    issuer: s.issuer,
    clientId: c.client_id,
    clientSecret: c.client_secret!,
    redirectUri: REDIRECT,
    endpoints: [...new Set([...endpoints, '/.well-known/openid-configuration', '/session/end'])],
    pages,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    sessionCookie: p.user.cookieHeader(),
  };
}
