// Second factors and step-up over HTTP with openid-client apps: an app without and one with
// --min-acr mfa, the enrolment inside the login (TOTP codes computed here from the secret on the
// page), recovery codes (shown once, single use, how many remain), TOTP replay refused when two
// nodes on one PostgreSQL get the same code at once, step-up from pwd to mfa in one SSO session
// after setting up the authenticator in the account centre, acr as a minimum (acr_values and an
// essential acr claim), prompt=none refusals, the minimum real-name level refusal, second-factor
// failures counted toward the account lock, a level that drops back when it grows old, and the
// audited MFA reset that ends every session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { generate } from 'otplib';
import { startTestServer, freePort, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { loadConfig } from '../../src/config/env.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { TEST_CRYPTO_ENV, TEST_MASTER_KEY } from '../helpers/db.ts';
import { resetMfa } from '../../src/mfa/reset.ts';
import { AppError } from '../../src/errors.ts';
import { grantPersonRole } from '../../src/admin/service.ts';

const ACR_PWD = 'urn:yitong:acr:pwd';
const ACR_MFA = 'urn:yitong:acr:mfa';
const FAILED = '验证未通过，请重试';

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
interface App {
  clientId: string;
  rp: oidc.Configuration;
  redirect: string;
}

let s: TestServer;
let plain: App;
let strict: App;
let levelled: App;

// ID numbers with valid check characters (GB 11643)
const IDS = ['11010519491231002X', '440524188001010014', '110101199003071006', '110101199003071014', '110101199003071022', '110101199003071030', '110101199003071049', '110101199003071057', '110101199003071065'];

async function addApp(server: { issuer: string }, name: string, redirect: string, extra: Parameters<typeof client>[1] extends infer T ? Partial<T> : never = {}): Promise<App> {
  const reg = await client(s, { name, department: 'GA', redirectUris: [redirect], grantTypes: ['authorization_code', 'refresh_token'], ...extra });
  const rp = await oidc.discovery(new URL(server.issuer), reg.client_id, reg.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  return { clientId: reg.client_id, rp, redirect };
}

/** TOTP codes with strictly growing time steps: -1, 0, +1 steps from now (at most three per person and minute). */
function codes(secret: string) {
  let n = 0;
  return async () => {
    const offset = [-1, 0, 1][n++];
    if (offset === undefined) throw new Error('no fourth code within the tolerance window');
    return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });
  };
}

interface Flow {
  user: HttpUser;
  app: App;
  verifier: string;
  state: string;
  page: { url: string; res: Response };
  html: string;
}

async function start(user: HttpUser, app: App, params: Record<string, string> = {}, issuer = s.issuer): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(app.rp, {
    redirect_uri: app.redirect,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  void issuer;
  const page = await user.follow(url.toString(), app.redirect);
  return { user, app, verifier, state, page, html: page.url.startsWith(app.redirect) ? '' : await page.res.text() };
}

/** Posts a form of the current page (found by its action) and follows to the next page or the app. */
async function submit(f: Flow, action: string, fields: Record<string, string>, issuer = s.issuer): Promise<Flow> {
  const page = await f.user.postForm(new URL(formAction(f.html, action), issuer).toString(), { ...formFields(f.html), ...fields }, f.app.redirect);
  return { ...f, page, html: page.url.startsWith(f.app.redirect) ? '' : await page.res.text() };
}

async function follow(f: Flow, href: string, issuer = s.issuer): Promise<Flow> {
  const page = await f.user.follow(new URL(href.replace(/&amp;/g, '&'), issuer).toString(), f.app.redirect);
  return { ...f, page, html: page.url.startsWith(f.app.redirect) ? '' : await page.res.text() };
}

const password = (f: Flow, id: string, issuer = s.issuer) => submit(f, '/login', { identifier: id, password: PASSWORD }, issuer);

async function tokens(f: Flow): Promise<Tokens> {
  expect(f.page.url.startsWith(f.app.redirect), `expected the app's callback, got ${f.page.url}: ${f.html.slice(0, 400)}`).toBe(true);
  return oidc.authorizationCodeGrant(f.app.rp, new URL(f.page.url), { pkceCodeVerifier: f.verifier, expectedState: f.state });
}

function callbackError(f: Flow): { error: string | null; description: string | null } {
  expect(f.page.url.startsWith(f.app.redirect), `expected the app's callback, got ${f.page.url}`).toBe(true);
  const u = new URL(f.page.url);
  return { error: u.searchParams.get('error'), description: u.searchParams.get('error_description') };
}

const secretOf = (html: string) => html.match(/id="totp-secret">([A-Z2-7 ]+)</)![1].replace(/ /g, '');
const continueHref = (html: string) => html.match(/<form method="get" action="([^"]+)"/)![1];
const recoveryCodesOf = (html: string) => [...html.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);

beforeAll(async () => {
  s = await startTestServer({ LOGIN_DELAY_AFTER: '0', LOGIN_LOCK_AFTER: '5' });
  await department(s);
  plain = await addApp(s, '户籍办理', 'https://plain.example.gov.cn/cb');
  strict = await addApp(s, '公积金提取', 'https://strict.example.gov.cn/cb', { minAcr: ACR_MFA });
  levelled = await addApp(s, '不动产登记', 'https://levelled.example.gov.cn/cb', { minRealNameLevel: 3 });
  for (const [i, id] of IDS.entries()) await person(s, { idNumber: id, name: `测试${i}`, phone: `1380013800${i}`, email: `p${i}@example.cn` });
});

afterAll(async () => {
  await s?.close();
});

describe('app policies at registration', () => {
  it('refuses an unknown acr and a real-name level outside 1-4', async () => {
    await expect(client(s, { redirectUris: ['https://x.example/cb'], minAcr: 'urn:other:acr' })).rejects.toMatchObject({ code: 'client.min_acr_invalid' });
    await expect(client(s, { redirectUris: ['https://x.example/cb'], minRealNameLevel: 5 })).rejects.toBeInstanceOf(AppError);
  });

  it('discovery advertises the three levels', async () => {
    const meta = (await (await fetch(`${s.issuer}/.well-known/openid-configuration`)).json()) as { acr_values_supported: string[] };
    expect(meta.acr_values_supported).toEqual(['urn:yitong:acr:pwd', 'urn:yitong:acr:mfa', 'urn:yitong:acr:phr']);
  });
});

describe('an app without --min-acr and a person without a second factor', () => {
  it('signs in with the password alone: acr pwd, amr [pwd]', async () => {
    const f = await password(await start(new HttpUser(), plain), IDS[0]);
    const claims = (await tokens(f)).claims()!;
    expect(claims).toMatchObject({ acr: ACR_PWD, amr: ['pwd'] });
  });
});

let secretB = '';
let recoveryB: string[] = [];
let nextCodeB: () => Promise<string>;

describe('an app with --min-acr mfa', () => {
  it('leads a person without a second factor through enrolment inside the same login', async () => {
    const user = new HttpUser();
    let f = await password(await start(user, strict), IDS[1]);
    expect(f.html).toContain('设置两步验证');
    expect(f.html).toContain('data:image/svg+xml;base64,');
    expect(f.html).toContain('name="otp"');
    secretB = secretOf(f.html);
    nextCodeB = codes(secretB);
    // a wrong code first: refused, counted, the page again
    f = await submit(f, '/mfa/enrol', { otp: '000000' === (await generate({ secret: secretB })) ? '111111' : '000000' });
    expect(f.page.res.status).toBe(401);
    expect(f.html).toContain(FAILED);
    f = await submit(f, '/mfa/enrol', { otp: await nextCodeB() });
    expect(f.html).toContain('请保存您的恢复码');
    recoveryB = recoveryCodesOf(f.html);
    expect(recoveryB).toHaveLength(10);
    expect(new Set(recoveryB).size).toBe(10);
    f = await follow(f, continueHref(f.html));
    const claims = (await tokens(f)).claims()!;
    expect(claims.acr).toBe(ACR_MFA);
    expect(claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    // the secret is sealed at rest and the codes are stored as hashes
    const row = await s.app.db.selectFrom('mfa_totp').selectAll().executeTakeFirstOrThrow();
    expect(row.secret_enc).not.toContain(secretB);
    const stored = await s.app.db.selectFrom('mfa_recovery_codes').select('code_hash').execute();
    expect(stored.map((r) => r.code_hash).join()).not.toContain(recoveryB[0].replace('-', ''));
  });

  it('asks for the code at every later password sign-in, even at an app that needs nothing more', async () => {
    let f = await password(await start(new HttpUser(), plain), IDS[1]);
    expect(f.html).toContain('name="otp"');
    expect(f.html).toContain('name="recovery_code"');
    f = await submit(f, '/mfa', { otp: await nextCodeB() });
    expect((await tokens(f)).claims()).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'] });
  });

  it('takes a recovery code once, tells how many remain, and audits it', async () => {
    let f = await password(await start(new HttpUser(), strict), IDS[1]);
    f = await submit(f, '/mfa', { recovery_code: recoveryB[0].toLowerCase() });
    expect(f.html).toContain('您还剩 9 个恢复码');
    f = await follow(f, continueHref(f.html));
    expect((await tokens(f)).claims()!.acr).toBe(ACR_MFA);
    const [rec] = await s.app.audit.list({ event: 'mfa.recovery.use', limit: 1 });
    expect(rec.detail).toMatchObject({ remaining: 9 });

    let again = await password(await start(new HttpUser(), strict), IDS[1]);
    again = await submit(again, '/mfa', { recovery_code: recoveryB[0] });
    expect(again.page.res.status).toBe(401);
    expect(again.html).toContain(FAILED);
  });

  it('lets only the pages that use passkeys run a script, and only from this site', async () => {
    const csp = (r: Response) => r.headers.get('content-security-policy') ?? '';
    // person 1 has the authenticator app only: the second-factor page has no passkey and no script
    const f = await password(await start(new HttpUser(), plain), IDS[1]);
    expect(f.html).not.toContain('<script');
    expect(csp(f.page.res)).not.toContain("script-src 'self'");
    // the enrolment page offers a passkey: its own script, under script-src 'self'
    const e = await password(await start(new HttpUser(), strict), IDS[7]);
    expect(e.html).toContain('<script src="/assets/mfa-passkey.js" defer></script>');
    expect(csp(e.page.res)).toMatch(/script-src 'self'$/);
    expect(e.html).not.toMatch(/<script>|<script [^s]|on(click|submit|load)=/);
    const js = await fetch(`${s.issuer}/assets/mfa-passkey.js`);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(await js.text()).toContain('navigator.credentials');
  });

  it('refuses silently (prompt=none) what would need a second factor: interaction_required, login_required', async () => {
    const user = new HttpUser();
    expect((await tokens(await password(await start(user, plain), IDS[0])))).toBeTruthy();
    const f = await start(user, strict, { prompt: 'none' });
    expect(callbackError(f).error).toBe('interaction_required');
    const fresh = await start(new HttpUser(), strict, { prompt: 'none' });
    expect(callbackError(fresh).error).toBe('login_required');
  });
});

// two nodes need one shared database: PostgreSQL (an embedded PGlite directory has one owner)
describe.skipIf(!process.env.DATABASE_URL)('TOTP replay', () => {
  let second: RunningServer;
  let secondIssuer: string;

  beforeAll(async () => {
    // a second node on the same PostgreSQL database (as behind a load balancer)
    const port = await freePort();
    secondIssuer = `http://127.0.0.1:${port}`;
    second = await startServer(loadConfig({ NODE_ENV: 'test', PORT: String(port), ISSUER: secondIssuer, DATABASE_URL: s.config.databaseUrl!, DATA_DIR: s.config.dataDir, YITONG_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'silent', LOGIN_DELAY_AFTER: '0', ...TEST_CRYPTO_ENV }));
  });
  afterAll(async () => {
    await second?.stop();
  });

  it('accepts a code once: the same code sent to two nodes at once wins on one only', async () => {
    // person 2 sets up the authenticator inside a login at the strict app
    let setup = await password(await start(new HttpUser(), strict), IDS[2]);
    const secret = secretOf(setup.html);
    const next = codes(secret);
    setup = await submit(setup, '/mfa/enrol', { otp: await next() });
    await tokens(await follow(setup, continueHref(setup.html)));

    const onSecond: App = { ...plain, rp: await oidc.discovery(new URL(secondIssuer), plain.clientId, plain.rp.clientMetadata().client_secret as string, undefined, { execute: [oidc.allowInsecureRequests] }) };
    const a = await password(await start(new HttpUser(), plain), IDS[2]);
    const b = await password(await start(new HttpUser(), onSecond), IDS[2], secondIssuer);
    expect(a.html).toContain('name="otp"');
    expect(b.html).toContain('name="otp"');
    const code = await next();
    const [ra, rb] = await Promise.all([submit(a, '/mfa', { otp: code }), submit(b, '/mfa', { otp: code }, secondIssuer)]);
    const won = [ra, rb].filter((r) => r.page.url.startsWith(plain.redirect));
    const lost = [ra, rb].filter((r) => !r.page.url.startsWith(plain.redirect));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0].page.res.status).toBe(401);
    expect(lost[0].html).toContain(FAILED);
    const replays = (await s.app.audit.list({ event: 'mfa.verify', limit: 20 })).filter((r) => r.detail.reason === 'replay');
    expect(replays.length).toBeGreaterThanOrEqual(1);
    // an older code (an earlier step) is refused too
    const older = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
    const c = await submit(lost[0], '/mfa', { otp: older }, lost[0] === rb ? secondIssuer : s.issuer);
    expect(c.html).toContain(FAILED);
  });
});

describe('step-up in one SSO session', () => {
  it('a pwd session sets up the authenticator in the account centre, then an app asking acr mfa gets it after the code', async () => {
    const user = new HttpUser();
    const id = IDS[3];
    const first = await tokens(await password(await start(user, plain), id));
    expect(first.claims()!.acr).toBe(ACR_PWD);

    // the account centre, through the same SSO session
    let page = await user.follow(`${s.issuer}/account/security/mfa`);
    let html = await page.res.text();
    expect(html).toContain('设置身份验证器');
    page = await user.postForm(`${s.issuer}/account/security/mfa/totp`, { ...formFields(html), current_password: PASSWORD });
    html = await page.res.text();
    expect(page.url).toBe(`${s.issuer}/account/security/mfa/totp`);
    const secret = secretOf(html);
    const next = codes(secret);
    page = await user.postForm(`${s.issuer}/account/security/mfa/totp/confirm`, { ...formFields(html), otp: await next() });
    html = await page.res.text();
    expect(recoveryCodesOf(html)).toHaveLength(10);

    // turning it off needs a fresh second factor: this session has none (its sign-in was the password)
    page = await user.follow(`${s.issuer}/account/security/mfa`);
    html = await page.res.text();
    expect(html).toContain('name="recovery_code"');
    const refused = await user.postForm(`${s.issuer}/account/security/mfa/totp/disable`, { ...formFields(html) });
    expect(refused.res.status).toBe(400);
    expect(await refused.res.text()).toContain('请输入身份验证器中的验证码或一个恢复码');
    const wrong = await user.postForm(`${s.issuer}/account/security/mfa/totp/disable`, { ...formFields(html), otp: '12345' });
    expect(await wrong.res.text()).toContain(FAILED);
    expect((await s.app.db.selectFrom('mfa_totp').select('confirmed_at').where('person_id', '=', (await s.app.db.selectFrom('persons').select('id').where('sub', '=', first.claims()!.sub).executeTakeFirstOrThrow()).id).executeTakeFirstOrThrow()).confirmed_at).not.toBeNull();

    // acr_values is a minimum: the pwd session is asked for what is missing, no silent upgrade
    let f = await start(user, plain, { acr_values: ACR_MFA });
    expect(f.html).toContain('要求更高的登录强度');
    f = await submit(f, '/mfa', { otp: await next() });
    const stepped = (await tokens(f)).claims()!;
    expect(stepped).toMatchObject({ acr: ACR_MFA, amr: ['pwd', 'otp', 'mfa'], sub: first.claims()!.sub });
    expect(stepped.auth_time).toBeGreaterThanOrEqual(first.claims()!.auth_time!);

    // the same session now satisfies the strict app silently, and a pwd request keeps mfa
    expect((await tokens(await start(user, strict, { prompt: 'none' }))).claims()!.acr).toBe(ACR_MFA);
    const essentialPwd = JSON.stringify({ id_token: { acr: { essential: true, value: ACR_PWD } } });
    expect((await tokens(await start(user, plain, { claims: essentialPwd, prompt: 'none' }))).claims()!.acr).toBe(ACR_MFA);

    // a second factor used to sign in minutes ago is fresh enough to turn the authenticator off
    page = await user.follow(`${s.issuer}/account/security/mfa`);
    html = await page.res.text();
    expect(html).not.toContain('name="recovery_code"');
    const off = await user.postForm(`${s.issuer}/account/security/mfa/totp/disable`, { ...formFields(html) });
    expect(off.url).toBe(`${s.issuer}/account/security/mfa?done=totp_off`);
    expect(await off.res.text()).toContain('身份验证器已停用');
  });

  it('an essential acr claim is a minimum too', async () => {
    const user = new HttpUser();
    await tokens(await password(await start(user, plain), IDS[0]));
    const essentialMfa = JSON.stringify({ id_token: { acr: { essential: true, value: ACR_MFA } } });
    expect(callbackError(await start(user, plain, { claims: essentialMfa, prompt: 'none' })).error).toBe('interaction_required');
    const f = await start(user, plain, { claims: essentialMfa });
    expect(f.html).toContain('设置两步验证'); // no factor yet: set one up, right after the password
  });
});

describe('admins', () => {
  it('anyone holding an admin role is asked for a second factor at every app (ADMIN_MIN_ACR, default mfa)', async () => {
    await grantPersonRole(s.app, IDS[8], 'audit', null, 'test');
    const f = await password(await start(new HttpUser(), plain), IDS[8]);
    expect(f.html).toContain('设置两步验证');
    expect(callbackError(await start(new HttpUser(), plain, { prompt: 'none' })).error).toBe('login_required');
  });
});

describe('minimum real-name level', () => {
  it('shows a person below it what raises it; the app gets access_denied, never a token', async () => {
    const user = new HttpUser();
    let f = await password(await start(user, levelled), IDS[4]);
    expect(f.html).toContain('实名等级不足');
    expect(f.html).toContain('三级（人像比对）');
    expect(f.html).toContain('一级（本人申报）');
    expect(f.html).toContain('人像比对（刷脸）');
    f = await submit(f, '/real-name', {});
    const err = callbackError(f);
    expect(err.error).toBe('access_denied');
    expect(err.description).toContain('real-name level 3 required');
    expect(new URL(f.page.url).searchParams.get('code')).toBeNull();
    // silently: access_denied at once
    expect(callbackError(await start(user, levelled, { prompt: 'none' })).error).toBe('access_denied');
  });

  it('lets a person at the level in', async () => {
    const row = await s.app.db.updateTable('persons').set({ real_name_level: 3 }).where('name', '=', '测试5').returning('sub').executeTakeFirstOrThrow();
    const claims = (await tokens(await password(await start(new HttpUser(), levelled), IDS[5]))).claims()!;
    expect(claims.sub).toBe(row.sub);
  });
});

describe('throttling', () => {
  it('counts second-factor failures toward the account lock, with the same message throughout', async () => {
    const id = IDS[6];
    let f = await password(await start(new HttpUser(), strict), id);
    const secret = secretOf(f.html);
    const good = await generate({ secret });
    const bad = good === '123456' ? '654321' : '123456';
    for (let i = 0; i < 4; i++) {
      f = await submit(f, '/mfa/enrol', { otp: bad });
      expect(f.html).toContain(FAILED);
    }
    f = await submit(f, '/mfa/enrol', { otp: bad });
    expect(f.html).toContain('登录已暂时锁定');
    // the person's lock stops the password login too, right password or not (said as a failure
    // there: a login page does not tell whether an identifier belongs to a locked account)
    const again = await password(await start(new HttpUser(), plain), id);
    expect(again.page.res.status).toBe(401);
    expect(again.html).toContain('账号或密码错误');
    const [lockout] = await s.app.audit.list({ event: 'login.lockout', limit: 1 });
    expect(lockout.detail).toMatchObject({ after: 'mfa' });
  });
});

describe('a level that grows old', () => {
  let t: TestServer;
  let app: App;
  let strictT: App;
  beforeAll(async () => {
    t = await startTestServer({ ACR_MFA_MAX_AGE_SECONDS: '2' });
    const prev = s;
    s = t;
    await department(t);
    app = await addApp(t, '户籍办理', 'https://plain.example.gov.cn/cb');
    strictT = await addApp(t, '公积金提取', 'https://strict.example.gov.cn/cb', { minAcr: ACR_MFA });
    await person(t, { idNumber: IDS[0] });
    s = prev;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('drops back to pwd in tokens, and an app that needs mfa asks again', async () => {
    const prev = s;
    s = t;
    try {
      const user = new HttpUser();
      let f = await password(await start(user, strictT), IDS[0]);
      const next = codes(secretOf(f.html));
      f = await submit(f, '/mfa/enrol', { otp: await next() });
      expect((await tokens(await follow(f, continueHref(f.html)))).claims()!.acr).toBe(ACR_MFA);
      expect((await tokens(await start(user, app, { prompt: 'none' }))).claims()!.acr).toBe(ACR_MFA);
      await new Promise((r) => setTimeout(r, 3100));
      const dropped = (await tokens(await start(user, app, { prompt: 'none' }))).claims()!;
      expect(dropped).toMatchObject({ acr: ACR_PWD, amr: ['pwd'] });
      expect(callbackError(await start(user, strictT, { prompt: 'none' })).error).toBe('interaction_required');
      f = await start(user, strictT);
      f = await submit(f, '/mfa', { otp: await next() });
      expect((await tokens(f)).claims()!.acr).toBe(ACR_MFA);
    } finally {
      s = prev;
    }
  });
});

describe('reset MFA', () => {
  it('removes every second factor, ends every session through the logout service, and is audited', async () => {
    const user = new HttpUser();
    let f = await password(await start(user, plain, { scope: 'openid profile offline_access', prompt: 'consent' }), IDS[1]);
    f = await submit(f, '/mfa', { recovery_code: recoveryB[1] });
    f = await follow(f, continueHref(f.html));
    const t = await tokens(f);
    expect(t.refresh_token).toBeTruthy();

    const r = await resetMfa(s.app, IDS[1], 'cli:counter-clerk', 'lost phone, ID checked at the counter');
    expect(r.removed.totp).toBe(true);
    expect(r.removed.recoveryCodes).toBe(8);
    expect(r.ended.sessions).toBeGreaterThanOrEqual(1);
    await expect(oidc.refreshTokenGrant(plain.rp, t.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const [audit] = await s.app.audit.list({ event: 'mfa.reset', limit: 1 });
    expect(audit).toMatchObject({ actor: 'cli:counter-clerk', detail: { totp: true, recovery_codes: 8 } });
    const [ended] = await s.app.audit.list({ event: 'session.end', limit: 1 });
    expect(ended.detail.reason).toBe('mfa.reset');

    // the password alone signs in again (and an app with --min-acr leads through enrolment)
    const again = await password(await start(new HttpUser(), plain), IDS[1]);
    expect((await tokens(again)).claims()!.acr).toBe(ACR_PWD);
    await expect(resetMfa(s.app, '110101199003070000', 'cli:x')).rejects.toBeInstanceOf(AppError);
  });
});
