// Three departments' user tables imported into one library (UTF-8 CSV, GBK CSV, JSON Lines), then
// citizens sign in to departmental apps (openid-client, code + PKCE, over HTTP) with their OLD
// passwords: `DEPARTMENT/loginname` or ID number, the upgrade to argon2id at the first success,
// and legacy_uid in the ID token only for an app of a department that holds the person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { client } from '../helpers/fixtures.ts';
import { startImport } from '../../src/legacy/job/runner.ts';
import { activeLegacyHashes } from '../../src/legacy/login.ts';
import { PEOPLE, departments, tempDir, threeDepartments, type Scenario } from '../fixtures/legacy/support.ts';

let s: TestServer;
let scenario: Scenario;
const dir = tempDir();
const apps: Record<string, oidc.Configuration> = {};
const REDIRECT = 'https://app.example.gov.cn/callback';

async function signIn(app: oidc.Configuration, identifier: string, password: string) {
  const user = new HttpUser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(app, {
    redirect_uri: REDIRECT,
    scope: 'openid profile id_card',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const page = await user.follow(url.toString(), REDIRECT);
  const html = await page.res.text();
  let done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier, password }, REDIRECT);
  if (!done.url.startsWith(REDIRECT) && done.res.status === 200) {
    // an app without a department is not first-party: its consent page comes next
    const consent = await done.res.text();
    if (!consent.includes('/confirm')) return { ok: false as const, status: done.res.status, page: consent };
    done = await user.postForm(new URL(formAction(consent, '/confirm'), s.issuer).toString(), { ...formFields(consent), consent: 'yes' }, REDIRECT);
  }
  if (!done.url.startsWith(REDIRECT)) return { ok: false as const, status: done.res.status, page: await done.res.text() };
  const tokens = await oidc.authorizationCodeGrant(app, new URL(done.url), { pkceCodeVerifier: verifier, expectedState: state });
  return { ok: true as const, claims: tokens.claims()! };
}

async function passwordHashOf(sub: string) {
  return (await s.app.db.selectFrom('persons').select('password_hash').where('sub', '=', sub).executeTakeFirstOrThrow()).password_hash;
}

beforeAll(async () => {
  s = await startTestServer();
  await departments(s.app, ['GA', '公安局'], ['RS', '人社局'], ['WJ', '卫健委'], ['SJ', '市场监管局']);
  scenario = threeDepartments(dir);
  for (const [code, src] of [['GA', scenario.ga], ['RS', scenario.rs], ['WJ', scenario.wj]] as const) {
    await startImport(s.app, { department: code, profile: src.profile, file: src.file }, { actor: 'cli:test' });
  }
  for (const department of ['GA', 'RS', 'SJ', null]) {
    const c = await client(s, { redirectUris: [REDIRECT], department });
    apps[department ?? 'none'] = await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  }
});

afterAll(async () => {
  await s?.close();
  dir.remove();
});

describe('signing in with legacy passwords', () => {
  let zhangSub: string;

  it('张三 signs in to the GA app as GA/zhangsan with the old GA password; the ID token carries his GA user id', async () => {
    const r = await signIn(apps.GA, 'GA/zhangsan', scenario.passwords['GA/zhangsan']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.claims).toMatchObject({ name: PEOPLE.zhang.name, legacy_uid: 'g1', id_number: PEOPLE.zhang.id });
    zhangSub = r.claims.sub;
  });

  it('upgraded the hash: argon2id stored, every foreign hash of the person retired, audited, same sub', async () => {
    expect(await passwordHashOf(zhangSub)).toMatch(/^\$argon2id\$/);
    expect(await activeLegacyHashes(s.app, zhangSub)).toBe(0);
    const retired = await s.app.db.selectFrom('legacy_accounts').select(['password_enc', 'password_retired_at']).where('legacy_uid', 'in', ['g1', '1001', 'w1']).execute();
    expect(retired).toHaveLength(3);
    for (const a of retired) expect(a).toMatchObject({ password_enc: null, password_retired_at: expect.any(Date) });
    const [upgrade] = await s.app.audit.list({ event: 'password.upgrade' });
    expect(upgrade).toMatchObject({ actor: zhangSub, detail: expect.objectContaining({ via: 'legacy', department: 'GA', scheme: 'sha256', retired: 3 }) });
  });

  it('signs in again with the same password (now argon2id), by login name or ID number, to the RS app with his RS user id', async () => {
    const again = await signIn(apps.GA, 'GA/zhangsan', scenario.passwords['GA/zhangsan']);
    expect(again.ok && again.claims.sub).toBe(zhangSub);
    const rs = await signIn(apps.RS, PEOPLE.zhang.id, scenario.passwords['GA/zhangsan']);
    expect(rs.ok && rs.claims).toMatchObject({ sub: zhangSub, legacy_uid: '1001' });
  });

  it('refuses the other departments’ old passwords once retired, with the usual answer', async () => {
    const rs = await signIn(apps.RS, 'RS/zs', scenario.passwords['RS/zs']);
    expect(rs).toMatchObject({ ok: false, status: 401 });
    const wj = await signIn(apps.GA, 'WJ/zhang.san', scenario.passwords['WJ/zhang.san']);
    expect(wj).toMatchObject({ ok: false, status: 401 });
    const unknown = await signIn(apps.GA, 'GA/nobody', 'whatever');
    expect(unknown).toMatchObject({ ok: false, status: 401 });
    if (!rs.ok && !unknown.ok) expect(rs.page).toContain('账号或密码错误');
  });

  it('赵六 signs in with his ID number and RuoYi password: legacy_uid only for the RS app, not for SJ nor an app without department', async () => {
    const sj = await signIn(apps.SJ, PEOPLE.zhao.id, scenario.passwords['RS/zhaoliu']);
    expect(sj.ok).toBe(true);
    if (!sj.ok) return;
    expect(sj.claims.legacy_uid).toBeUndefined();
    const none = await signIn(apps.none, '13700137000', scenario.passwords['RS/zhaoliu']);
    expect(none.ok && none.claims.sub).toBe(sj.claims.sub);
    if (none.ok) expect(none.claims.legacy_uid).toBeUndefined();
    const rs = await signIn(apps.RS, 'RS/zhaoliu', scenario.passwords['RS/zhaoliu']);
    expect(rs.ok && rs.claims).toMatchObject({ sub: sj.claims.sub, legacy_uid: '1002' });
  });

  it('李四 can use any of his old passwords until the first success (bcrypt from WJ here); then only that one', async () => {
    const wrongThenRight = await signIn(apps.GA, 'WJ/lisi', 'not-it');
    expect(wrongThenRight.ok).toBe(false);
    const r = await signIn(apps.GA, 'WJ/lisi', scenario.passwords['WJ/lisi']);
    expect(r.ok && r.claims).toMatchObject({ name: PEOPLE.li.name, legacy_uid: 'g2' });
    expect((await signIn(apps.GA, 'GA/lisi', scenario.passwords['GA/lisi'])).ok).toBe(false);
    expect((await signIn(apps.GA, 'GA/lisi', scenario.passwords['WJ/lisi'])).ok).toBe(true);
  });

  it('钱七, imported unverified (a float-mangled ID), signs in by login name and has no ID number', async () => {
    const r = await signIn(apps.RS, 'RS/qianqi', scenario.passwords['RS/qianqi']);
    expect(r.ok && r.claims).toMatchObject({ name: '钱七', legacy_uid: '1003', real_name_level: 1 });
    if (r.ok) expect(r.claims.id_number).toBeUndefined();
  });
});
