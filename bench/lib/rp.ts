// The bench's departmental app and browser: plain node:http with keep-alive (lighter on the shared
// CPUs than fetch), a cookie jar per simulated browser, and the raw OAuth requests. Correctness of
// the protocol is the e2e tests' job; here every response is only checked for what the next step
// needs.
import crypto from 'node:crypto';
import http from 'node:http';
import { formAction, formFields } from '../../test/helpers/http-user.ts';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Counts HTTP requests made, so each case can report requests per operation. */
export const requestCounter = { n: 0 };

export function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') return Promise.reject(new Error(`refusing non-loopback URL ${url}`));
  requestCounter.n++;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = http.request(
      { agent, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: init.method ?? 'GET', headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout ${url}`)));
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** A browser: a cookie jar and manual redirects. */
export class Browser {
  jar = new Map<string, string>();

  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
    const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await request(url, { ...init, headers });
    for (const c of res.headers['set-cookie'] ?? []) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /expires=Thu, 01 Jan 1970/i.test(a))) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  /** Follows redirects until a non-redirect, or a Location that starts with `stopAt`. */
  async follow(url: string, stopAt: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    let current = url;
    let res = await this.request(current, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      current = new URL(String(res.headers.location), current).toString();
      if (current.startsWith(stopAt)) return { url: current, res };
      res = await this.request(current);
    }
    return { url: current, res };
  }
}

export interface RpConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
}

interface Endpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  introspection_endpoint: string;
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export interface PendingCode {
  code: string;
  verifier: string;
}

export class Rp {
  readonly config: RpConfig;
  #ep!: Endpoints;
  #basic: string;

  constructor(config: RpConfig) {
    this.config = config;
    this.#basic = 'Basic ' + Buffer.from(`${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`).toString('base64');
  }

  async discover(): Promise<void> {
    const res = await request(`${this.config.issuer}/.well-known/openid-configuration`);
    if (res.status !== 200) throw new Error(`discovery: ${res.status}`);
    this.#ep = JSON.parse(res.body) as Endpoints;
  }

  authorizationUrl(verifier: string): string {
    const u = new URL(this.#ep.authorization_endpoint);
    u.search = new URLSearchParams({
      client_id: this.config.clientId,
      response_type: 'code',
      redirect_uri: this.config.redirectUri,
      scope: this.config.scope,
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: crypto.randomBytes(8).toString('base64url'),
      // OIDC: offline_access needs prompt=consent (a departmental app's consent is automatic)
      prompt: 'consent',
    }).toString();
    return u.toString();
  }

  #codeFrom(url: string): string {
    const cb = new URL(url);
    const code = cb.searchParams.get('code');
    if (!code) throw new Error(`no code on redirect: ${cb.searchParams.get('error') ?? url}`);
    return code;
  }

  /**
   * One password login by a fresh browser: /auth -> login page -> POST identifier/password ->
   * (automatic consent) -> redirect with a code. Returns the code, unredeemed.
   */
  async login(browser: Browser, identifier: string, password: string): Promise<PendingCode> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const page = await browser.follow(this.authorizationUrl(verifier), this.config.redirectUri);
    if (page.url.startsWith(this.config.redirectUri)) return { code: this.#codeFrom(page.url), verifier };
    if (page.res.status !== 200) throw new Error(`login page: HTTP ${page.res.status}`);
    const html = page.res.body;
    const done = await browser.follow(new URL(formAction(html, '/login'), this.config.issuer).toString(), this.config.redirectUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...formFields(html), identifier, password }).toString(),
    });
    if (!done.url.startsWith(this.config.redirectUri)) throw new Error(`login did not finish: HTTP ${done.res.status} at ${done.url}`);
    return { code: this.#codeFrom(done.url), verifier };
  }

  /** A new authorization for a browser that already has a session (SSO): no password. */
  async ssoCode(browser: Browser): Promise<PendingCode> {
    const verifier = crypto.randomBytes(32).toString('base64url');
    const page = await browser.follow(this.authorizationUrl(verifier), this.config.redirectUri);
    if (!page.url.startsWith(this.config.redirectUri)) throw new Error(`SSO authorization stopped at ${page.url} (HTTP ${page.res.status})`);
    return { code: this.#codeFrom(page.url), verifier };
  }

  async #token(params: Record<string, string>): Promise<Tokens> {
    const res = await request(this.#ep.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: this.#basic, accept: 'application/json' },
      body: new URLSearchParams(params).toString(),
    });
    if (res.status !== 200) throw new Error(`token ${params.grant_type}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    const t = JSON.parse(res.body) as Tokens;
    if (!t.access_token) throw new Error(`token ${params.grant_type}: no access_token`);
    return t;
  }

  async exchange(p: PendingCode): Promise<Tokens> {
    const t = await this.#token({ grant_type: 'authorization_code', code: p.code, redirect_uri: this.config.redirectUri, code_verifier: p.verifier });
    if (!t.id_token || !t.refresh_token) throw new Error('code exchange: id_token or refresh_token missing');
    return t;
  }

  async refresh(refreshToken: string): Promise<Tokens> {
    const t = await this.#token({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (!t.refresh_token || t.refresh_token === refreshToken) throw new Error('refresh: the refresh token was not rotated');
    return t;
  }

  clientCredentials(): Promise<Tokens> {
    return this.#token({ grant_type: 'client_credentials' });
  }

  async userinfo(accessToken: string): Promise<void> {
    const res = await request(this.#ep.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`userinfo: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    if (!(JSON.parse(res.body) as { sub?: string }).sub) throw new Error('userinfo: no sub');
  }

  async introspect(token: string): Promise<void> {
    const res = await request(this.#ep.introspection_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: this.#basic, accept: 'application/json' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (res.status !== 200) throw new Error(`introspection: HTTP ${res.status}`);
    if ((JSON.parse(res.body) as { active?: boolean }).active !== true) throw new Error('introspection: token not active');
  }
}

export function closeAgent(): void {
  agent.destroy();
}
