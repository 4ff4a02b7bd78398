// Citizens on their own, over HTTP with openid-client as the departmental app, the Aliyun test
// gateway (it checks every request's signature; the test reads the code the phone received) and
// the IDV test server:
// - registration from an app's login continues that login; IDV match gives level 2, mismatch and
//   not found create nothing, 503 registers at level 1 and the background recheck raises it;
//   an ID number or a phone that already has an account gets no second one; throttled per IP;
// - SMS login: acr pwd, amr ["sms"]; only verified phones get a code; the password lockout rules;
// - recovery: identical answers whatever the account; success ends every session with back-channel
//   logout to every app, kills refresh tokens, retires legacy hashes; audited;
// - `yitong person set-level`: counter staff raise a level; a downgrade ends the sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { startAliyunGateway, type SmsGateway } from '../helpers/sms-gateways.ts';
import { startIdvServer, type IdvServer } from '../helpers/idv.ts';
import { client, department, person, PASSWORD } from '../helpers/fixtures.ts';
import { residentId, tempDir, hashes, profile, generatedProfile } from '../fixtures/legacy/support.ts';
import { runRechecks } from '../../src/idv/rechecks.ts';
import { createIdvClient } from '../../src/idv/client.ts';
import { runCommand } from '../../src/cli/run.ts';
import { coreCommands, type CliEnv } from '../../src/cli/commands.ts';
import { citizenCommands } from '../../src/citizen/cli.ts';
import { accountsCommands } from '../../src/accounts/cli.ts';
import { ALL_FEATURES } from '../../src/server.ts';
import { personStore } from '../../src/accounts/store.ts';
import { startImport } from '../../src/legacy/job/runner.ts';
import { activeLegacyHashes } from '../../src/legacy/login.ts';
import { findPersonBySub } from '../../src/accounts/service.ts';
import type { AuditEventName } from '../../src/audit/events.ts';

const REDIRECT = 'https://ga.example.gov.cn/cb';
const NEW_PASSWORD = 'Hz-7Lq!xPw';
const REG_PASSWORD = 'Rk8#tVm2qZ';
const FAST = { SMS_IP_DAILY_LIMIT: '1000', SMS_IP_PHONES_DAILY_LIMIT: '1000', LOGOUT_POLL_MS: '100', LOGOUT_RETRY_BASE_MS: '300', LOGIN_LOCK_AFTER: '4', LOGIN_DELAY_AFTER: '0', REGISTER_IP_HOURLY_LIMIT: '40' };

let s: TestServer;
let gw: SmsGateway;
let idv: IdvServer;
let receiver: BackchannelReceiver;
let app: { clientId: string; rp: oidc.Configuration };
const dir = tempDir();

let seq = 500;
const newId = () => residentId('110105', '19900307', seq++);
let phoneSeq = 0;
const newPhone = () => `1370000${String(++phoneSeq).padStart(4, '0')}`;

/** The pages' text without tags, for comparing what a person reads. */
const visible = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

async function beginLogin(user: HttpUser, scope = 'openid profile phone id_card offline_access') {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(app.rp, {
    redirect_uri: REDIRECT,
    scope,
    prompt: 'consent',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const page = await user.follow(url.toString(), REDIRECT);
  expect(page.url).toMatch(/\/interaction\/[^/]+$/);
  const html = await page.res.text();
  const uid = page.url.split('/').at(-1)!;
  return { verifier, state, html, uid };
}

async function redeem(callbackUrl: string, verifier: string, state: string) {
  return oidc.authorizationCodeGrant(app.rp, new URL(callbackUrl), { pkceCodeVerifier: verifier, expectedState: state });
}

/** GETs a page of the flow and returns its form's action and fields. */
async function formOf(user: HttpUser, path: string, actionContains: string) {
  const res = await user.request(new URL(path, s.issuer).toString());
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, action: new URL(formAction(html, actionContains), s.issuer).toString(), fields: formFields(html) };
}

async function post(user: HttpUser, action: string, fields: Record<string, string>) {
  const done = await user.postForm(action, fields, REDIRECT);
  return { ...done, html: done.url.startsWith(REDIRECT) ? '' : await done.res.text() };
}

/** Registers through the pages (from the login `uid` when given); returns the last answer. */
async function registerVia(user: HttpUser, uid: string | null, who: { idNumber: string; name: string; phone: string; password?: string }) {
  const path = uid ? `/register?interaction=${uid}` : '/register';
  const f = await formOf(user, path, '/register');
  const values = { id_number: who.idNumber, name: who.name, phone: who.phone, password: who.password ?? REG_PASSWORD };
  const after = gw.messages.length;
  const sent = await post(user, f.action, { ...f.fields, ...values, sms_code: '', action: 'send_code' });
  expect(sent.res.status).toBe(200);
  expect(visible(sent.html)).toContain(`验证码已发送至 ${who.phone.slice(0, 3)}****${who.phone.slice(-4)}`);
  // the form came back with the fields kept
  expect(sent.html).toContain(`value="${who.idNumber}"`);
  expect(sent.html).toContain(`value="${who.name}"`);
  const code = await gw.codeFor(who.phone, after);
  return { ...(await post(user, f.action, { ...formFields(sent.html), ...values, sms_code: code })), f, code, values };
}

async function claimsOf(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers) {
  return tokens.claims()!;
}

async function audits(event: AuditEventName) {
  await s.app.audit.drain();
  return s.app.db.selectFrom('audit_log').selectAll().where('event', '=', event).orderBy('seq').execute();
}

beforeAll(async () => {
  gw = await startAliyunGateway();
  idv = await startIdvServer();
  receiver = await startBackchannelReceiver();
  s = await startTestServer({ ...gw.env, ...idv.env, ...FAST });
  await department(s);
  const c = await client(s, { department: 'GA', redirectUris: [REDIRECT], backchannelLogoutUri: receiver.url, grantTypes: ['authorization_code', 'refresh_token'] });
  app = { clientId: c.client_id, rp: await oidc.discovery(new URL(s.issuer), c.client_id, c.client_secret, undefined, { execute: [oidc.allowInsecureRequests] }) };
});

afterAll(async () => {
  await s?.close();
  await gw?.close();
  await idv?.close();
  await receiver?.close();
  dir.remove();
});

describe('registration', () => {
  it('from an app: login page -> /register -> SMS code -> IDV match -> back at the app signed in, level 2, amr sms', async () => {
    const user = new HttpUser();
    const id = newId();
    const phone = newPhone();
    idv.people.set(id, '李四');
    const login = await beginLogin(user);
    // the login page links to registration, recovery and SMS login, each continuing this sign-in
    expect(login.html).toContain(`href="/register?interaction=${login.uid}"`);
    expect(login.html).toContain(`href="/account/recover?interaction=${login.uid}"`);
    expect(login.html).toContain(`href="/interaction/${login.uid}/sms"`);

    const r = await registerVia(user, login.uid, { idNumber: id, name: '李四', phone });
    expect(r.url.startsWith(REDIRECT)).toBe(true);
    const tokens = await redeem(r.url, login.verifier, login.state);
    const claims = await claimsOf(tokens);
    expect(claims).toMatchObject({ acr: 'urn:yitong:acr:pwd', amr: ['sms'], name: '李四', id_number: id, real_name_level: 2, phone_number: phone, phone_number_verified: true });

    // level history and the audit trail
    const person = (await findPersonBySub(s.app, claims.sub))!;
    const history = await s.app.db.selectFrom('real_name_history').selectAll().where('person_id', '=', person.id).execute();
    expect(history).toMatchObject([{ level: 2, method: 'idv', actor: claims.sub }]);
    expect((await audits('idv.check')).at(-1)).toMatchObject({ outcome: 'success', detail: { result: 'match', source: 'register' } });
    expect((await audits('person.register')).at(-1)).toMatchObject({ outcome: 'success', actor: claims.sub, detail: { real_name_level: 2, idv: 'match' } });
    expect(JSON.stringify((await audits('person.register')).at(-1))).not.toContain(id);
    // the code is single use: the same form submitted again does not create anything
    const again = await post(user, r.f.action, { ...r.f.fields, ...r.values, sms_code: r.code });
    expect(again.res.status).not.toBe(200);

    // and the new password signs in at the next app visit
    const other = new HttpUser();
    const l2 = await beginLogin(other, 'openid');
    const done = await post(other, new URL(formAction(l2.html, '/login'), s.issuer).toString(), { ...formFields(l2.html), identifier: phone, password: REG_PASSWORD });
    expect(done.url.startsWith(REDIRECT)).toBe(true);
  });

  it('IDV mismatch: refused with a clear message next to the name, nothing created; the same code then registers the corrected name', async () => {
    const user = new HttpUser();
    const id = newId();
    const phone = newPhone();
    idv.people.set(id, '王五');
    const r = await registerVia(user, null, { idNumber: id, name: '王六', phone });
    expect(r.res.status).toBe(400);
    expect(visible(r.html)).toContain('姓名与身份证号码不一致');
    expect(r.html).toMatch(/aria-describedby="name-hint name-error" aria-invalid="true"/);
    expect(await s.app.db.selectFrom('persons').select('id').where('name', '=', '王六').execute()).toEqual([]);
    expect((await audits('idv.check')).at(-1)).toMatchObject({ outcome: 'failure', detail: { result: 'mismatch' } });

    const fixed = await post(user, r.f.action, { ...formFields(r.html), ...r.values, name: '王五', sms_code: r.code });
    expect(fixed.res.status).toBe(200);
    expect(visible(fixed.html)).toContain('注册成功');
    expect(visible(fixed.html)).toContain('实名等级 2');
  });

  it('IDV not found refuses; IDV 503 registers at level 1 and the recheck raises it to 2 when the service is back', async () => {
    const nf = await registerVia(new HttpUser(), null, { idNumber: newId(), name: '赵七', phone: newPhone() });
    expect(visible(nf.html)).toContain('人口信息中没有查到该身份证号码');

    const id = newId();
    const phone = newPhone();
    idv.people.set(id, '钱八');
    idv.mode = 'down';
    const before = idv.calls.length;
    const r = await registerVia(new HttpUser(), null, { idNumber: id, name: '钱八', phone });
    idv.mode = 'ok';
    expect(r.res.status).toBe(200);
    expect(visible(r.html)).toContain('注册成功');
    expect(visible(r.html)).toContain('实名等级 1');
    expect(idv.calls.length - before).toBe(2); // one retry (IDV_RETRIES=1)
    const row = await s.app.db.selectFrom('persons').select(['id', 'sub', 'real_name_level']).where('name', '=', '钱八').executeTakeFirstOrThrow();
    expect(row.real_name_level).toBe(1);
    expect(await s.app.db.selectFrom('idv_rechecks').selectAll().where('person_id', '=', row.id).execute()).toHaveLength(1);

    // the background task: not due yet, then due (the first recheck waits a minute)
    const client = createIdvClient(s.config.idv)!;
    expect(await runRechecks(s.app, client)).toBe(0);
    await sql`update idv_rechecks set next_attempt_at = now()`.execute(s.app.db);
    idv.failNext = 2; // still down on the first due pass: put off with backoff
    expect(await runRechecks(s.app, client)).toBe(0);
    const later = await s.app.db.selectFrom('idv_rechecks').selectAll().where('person_id', '=', row.id).executeTakeFirstOrThrow();
    expect(later.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
    await sql`update idv_rechecks set next_attempt_at = now()`.execute(s.app.db);
    expect(await runRechecks(s.app, client)).toBe(1);
    const after = await s.app.db.selectFrom('persons').select('real_name_level').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(after.real_name_level).toBe(2);
    const history = await s.app.db.selectFrom('real_name_history').selectAll().where('person_id', '=', row.id).orderBy('id').execute();
    expect(history.map((h) => [h.level, h.method, h.actor])).toEqual([
      [1, 'self', row.sub],
      [2, 'idv', 'system:idv'],
    ]);
    const checks = (await audits('idv.check')).filter((a) => a.actor === row.sub || (a.detail as { source?: string }).source === 'register').slice(-3);
    expect(checks.map((a) => (a.detail as { result: string }).result)).toEqual(['unavailable', 'unavailable', 'match']);
  });

  it('an ID number that has an account gets no second one (recovery offered, nothing said of the account); a phone verified elsewhere neither', async () => {
    const existing = await person(s, { idNumber: newId(), phone: newPhone(), phoneVerified: true });
    const r = await registerVia(new HttpUser(), null, { idNumber: existing.idNumber!, name: '冒名', phone: newPhone() });
    expect(r.res.status).toBe(409);
    const text = visible(r.html);
    expect(text).toContain('该身份证号码已有账号');
    expect(r.html).toContain('href="/account/recover"');
    expect(text).not.toContain('张三'); // the account's name
    expect(text).not.toContain(existing.phone!.slice(-4));
    expect(await s.app.db.selectFrom('persons').select('id').where('name', '=', '冒名').execute()).toEqual([]);

    const taken = await registerVia(new HttpUser(), null, { idNumber: newId(), name: '孙九', phone: existing.phone! });
    expect(taken.res.status).toBe(409);
    expect(visible(taken.html)).toContain('该手机号码已绑定其他账号');
  });

  it('field-level messages for malformed input, the fields kept, nothing sent', async () => {
    const user = new HttpUser();
    const f = await formOf(user, '/register', '/register');
    const sentBefore = gw.requests.length;
    const badPhone = await post(user, f.action, { ...f.fields, phone: '12345', action: 'send_code' });
    expect(badPhone.res.status).toBe(400);
    expect(badPhone.html).toMatch(/id="phone-error">手机号码格式不正确/);
    const r = await post(user, f.action, { ...f.fields, id_number: '110105194912310021', name: '<script>', phone: '1380013800', sms_code: '12a', password: 'password' });
    expect(r.res.status).toBe(400);
    expect(r.html).toMatch(/id="id_number-error">身份证号码校验位不正确/);
    expect(r.html).toMatch(/id="name-error">姓名/);
    expect(r.html).toMatch(/id="phone-error">手机号码格式不正确/);
    expect(r.html).toMatch(/id="sms_code-error">短信验证码为 6 位数字/);
    expect(r.html).toMatch(/id="password-error">密码须包含/);
    expect(r.html).toContain('value="110105194912310021"');
    expect(r.html).toContain('value="&lt;script&gt;"');
    expect(r.html).not.toContain('<script>');
    const common = await post(user, f.action, { ...f.fields, id_number: newId(), name: '周十', phone: newPhone(), sms_code: '123456', password: 'P@ssw0rd' });
    expect(common.html).toMatch(/id="password-error">该密码过于常见/);
    expect(gw.requests.length).toBe(sentBefore);
    // the English page says the same in English
    const en = await user.postForm(f.action + '?lang=en', { ...f.fields, phone: 'x', action: 'send_code' });
    expect(await en.res.text()).toMatch(/id="phone-error">The mobile number is not valid/);
  });
});

describe('SMS login', () => {
  it('a verified phone signs in with a code: acr pwd, amr sms; an unverified or unknown number gets the same answer and no SMS', async () => {
    const phone = newPhone();
    const p = await person(s, { idNumber: newId(), phone, phoneVerified: true, name: '郑十一' });
    const unverified = newPhone();
    await person(s, { idNumber: newId(), phone: unverified });
    const user = new HttpUser();
    const login = await beginLogin(user, 'openid profile');
    const page = await formOf(user, `/interaction/${login.uid}/sms`, '/sms');
    expect(page.html).toContain('name="sms_code"');
    expect(page.html).toContain('name="action" value="send_code"');

    const answers: string[] = [];
    const sentBefore = gw.messages.length;
    for (const number of [phone, unverified, newPhone()]) {
      const r = await post(user, page.action, { ...page.fields, phone: number, action: 'send_code' });
      expect(r.res.status).toBe(200);
      answers.push(visible(r.html).replace(number, 'N'));
    }
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('如果该手机号已注册并完成验证，验证码已发送');
    const code = await gw.codeFor(phone, sentBefore);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.messages.slice(sentBefore).map((m) => m.phone)).toEqual([phone]);

    const done = await post(user, page.action, { ...page.fields, phone, sms_code: code });
    expect(done.url.startsWith(REDIRECT)).toBe(true);
    const claims = await claimsOf(await redeem(done.url, login.verifier, login.state));
    expect(claims).toMatchObject({ sub: p.sub, acr: 'urn:yitong:acr:pwd', amr: ['sms'], name: '郑十一' });
    expect((await audits('login.success')).at(-1)).toMatchObject({ outcome: 'success', actor: p.sub, detail: { method: 'sms' } });
  });

  it('wrong codes count toward the same lockout as wrong passwords; a locked account refuses even the right code', async () => {
    const phone = newPhone();
    const p = await person(s, { idNumber: newId(), phone, phoneVerified: true });
    const user = new HttpUser();
    const login = await beginLogin(user, 'openid');
    // two wrong passwords on the password form
    for (let i = 0; i < 2; i++) {
      const r = await post(user, new URL(formAction(login.html, '/login'), s.issuer).toString(), { ...formFields(login.html), identifier: p.idNumber!, password: 'Wrong-pass-1' });
      expect(r.res.status).toBe(401);
    }
    const page = await formOf(user, `/interaction/${login.uid}/sms`, '/sms');
    const after = gw.messages.length;
    await post(user, page.action, { ...page.fields, phone, action: 'send_code' });
    const code = await gw.codeFor(phone, after);
    const wrong = code === '000000' ? '000001' : '000000';
    const w1 = await post(user, page.action, { ...page.fields, phone, sms_code: wrong });
    expect(w1.res.status).toBe(401);
    expect(visible(w1.html)).toContain('短信验证码不正确，还可尝试 4 次');
    await post(user, page.action, { ...page.fields, phone, sms_code: wrong }); // 4th failure: LOGIN_LOCK_AFTER=4
    const locked = await post(user, page.action, { ...page.fields, phone, sms_code: code });
    expect(locked.res.status).toBe(429);
    expect(visible(locked.html)).toContain('尝试次数过多');
    expect((await audits('login.lockout')).length).toBeGreaterThan(0);
  });
});

describe('password recovery', () => {
  it('identical answers and comparable timing for an account, an account without a verified phone, and nobody', async () => {
    const withPhone = await person(s, { idNumber: newId(), phone: newPhone(), phoneVerified: true });
    const noPhone = await person(s, { idNumber: newId(), phone: newPhone() });
    const nobody = newId();
    const user = new HttpUser();
    const f = await formOf(user, '/account/recover', '/account/recover');
    const sentBefore = gw.messages.length;
    const texts: string[] = [];
    const times: Record<string, number[]> = { a: [], b: [], c: [] };
    for (let round = 0; round < 3; round++) {
      for (const [k, id] of [['a', withPhone.idNumber!], ['b', noPhone.idNumber!], ['c', nobody]] as const) {
        await sql`update code_counters set expires_at = now() where key like 'cool:%'`.execute(s.app.db);
        const t0 = performance.now();
        const r = await post(user, f.action, { ...f.fields, identifier: id, action: 'send_code' });
        times[k].push(performance.now() - t0);
        expect(r.res.status).toBe(200);
        texts.push(visible(r.html).replace(id, 'ID'));
      }
    }
    expect(new Set(texts).size).toBe(1);
    expect(texts[0]).toContain('如果该账号存在并绑定了已验证的手机号，验证码已发送到该手机');
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1];
    // the SMS goes out in the background: no gateway round trip in the answer for the real account
    expect(Math.abs(median(times.a) - median(times.c))).toBeLessThan(60);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.messages.slice(sentBefore).every((m) => m.phone === withPhone.phone)).toBe(true);

    // a made-up code is refused the same way for all three
    const wrong = [];
    for (const id of [withPhone.idNumber!, noPhone.idNumber!, nobody]) {
      const r = await post(user, f.action, { ...f.fields, identifier: id, sms_code: '123456', new_password: NEW_PASSWORD });
      wrong.push(visible(r.html).replace(id, 'ID').replace(/还可尝试 \d 次/, ''));
    }
    expect(new Set(wrong).size).toBe(1);
  });

  it('success: new argon2id password, legacy hashes retired, every session ended with back-channel logout, refresh tokens dead, audited', async () => {
    // an imported person: a legacy md5 hash from the department's old table, phone marked verified
    const phone = newPhone();
    const idNumber = newId();
    const oldPassword = 'Old#Ga-2019';
    const file = dir.file('ga.csv', `yhid,dlm,xm,sfzh,sjhm,mm\nu1,fengshier,冯十二,${idNumber},${phone},${hashes.md5(oldPassword)}\n`);
    await startImport(s.app, { department: 'GA', profile: profile(generatedProfile()), file }, { actor: 'cli:test' });
    const imported = await s.app.db.selectFrom('persons').select(['id', 'sub']).where('name', '=', '冯十二').executeTakeFirstOrThrow();
    await personStore.update(s.app.db, imported.id, { phone_verified: true });
    const p = { id: imported.id, sub: imported.sub, idNumber };
    expect(await activeLegacyHashes(s.app, p.sub)).toBe(1);

    // signed in at the app with offline access (a refresh token) by SMS, which leaves the legacy
    // hash in place (a sign-in with the old password would upgrade it)
    const user = new HttpUser();
    const login = await beginLogin(user);
    const page = await formOf(user, `/interaction/${login.uid}/sms`, '/sms');
    const sentBefore = gw.messages.length;
    await post(user, page.action, { ...page.fields, phone, action: 'send_code' });
    const smsCode = await gw.codeFor(phone, sentBefore);
    const signedIn = await post(user, page.action, { ...page.fields, phone, sms_code: smsCode });
    const tokens = await redeem(signedIn.url, login.verifier, login.state);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await activeLegacyHashes(s.app, p.sub)).toBe(1);
    await sql`update code_counters set expires_at = now() where key like 'cool:%'`.execute(s.app.db);
    const sid = (await claimsOf(tokens)).sid as string;
    const tokensBefore = receiver.tokens.length;

    // another browser recovers the password with the old departmental login name (started from a
    // sign-in, the page offers the way back to it)
    const other = new HttpUser();
    const l2 = await beginLogin(other, 'openid');
    const f = await formOf(other, `/account/recover?interaction=${l2.uid}`, '/account/recover');
    const after = gw.messages.length;
    await post(other, f.action, { ...f.fields, identifier: 'GA/fengshier', action: 'send_code' });
    const code = await gw.codeFor(phone, after);
    const weak = await post(other, f.action, { ...f.fields, identifier: 'GA/fengshier', sms_code: code, new_password: `Ab!${phone}` });
    expect(weak.html).toMatch(/id="new_password-error">密码不能包含/);
    const r = await post(other, f.action, { ...f.fields, identifier: 'GA/fengshier', sms_code: code, new_password: NEW_PASSWORD });
    expect(r.res.status).toBe(200);
    expect(visible(r.html)).toContain('密码已重置');
    expect(r.html).toContain(`href="/interaction/${l2.uid}"`);

    // the app was told over the back channel, for that session
    await expect.poll(() => receiver.tokens.length, { timeout: 10_000 }).toBeGreaterThan(tokensBefore);
    const jwks = jose.createRemoteJWKSet(new URL(`${s.issuer}/jwks`));
    const told = await Promise.all(receiver.tokens.slice(tokensBefore).map((t) => jose.jwtVerify(t, jwks, { issuer: s.issuer, audience: app.clientId })));
    expect(told.some((v) => v.payload.sub === p.sub && v.payload.sid === sid)).toBe(true);
    await expect(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const row = await s.app.db.selectFrom('persons').select('password_hash').where('id', '=', p.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await activeLegacyHashes(s.app, p.sub)).toBe(0);
    expect((await audits('password.reset')).at(-1)).toMatchObject({ outcome: 'success', actor: p.sub, detail: { via: 'sms', legacy_hashes_retired: 1, logouts_queued: 1 } });
    expect((await audits('session.end')).at(-1)).toMatchObject({ detail: { reason: 'password.reset' } });
    // the code was used up
    const reuse = await post(other, f.action, { ...f.fields, identifier: p.idNumber, sms_code: code, new_password: 'An0ther!Pass' });
    expect(visible(reuse.html)).toContain('短信验证码已失效');

    // old password no longer, new one yes
    const u3 = new HttpUser();
    const l3 = await beginLogin(u3, 'openid');
    const loginAction = new URL(formAction(l3.html, '/login'), s.issuer).toString();
    expect((await post(u3, loginAction, { ...formFields(l3.html), identifier: p.idNumber, password: PASSWORD })).res.status).toBe(401);
    expect((await post(u3, loginAction, { ...formFields(l3.html), identifier: 'GA/fengshier', password: oldPassword })).res.status).toBe(401);
    expect((await post(u3, loginAction, { ...formFields(l3.html), identifier: p.idNumber, password: NEW_PASSWORD })).url.startsWith(REDIRECT)).toBe(true);
  });
});

describe('real-name level at the counter', () => {
  const cli = (argv: string[]) => {
    const env: CliEnv = { config: s.config, features: async () => ALL_FEATURES, io: { stdin: async () => 'Hz-7Lq!xPw\n', stderr: { write: () => true } } as never, actor: 'cli:counter01', hosted: s.app, path: (x) => x };
    return runCommand([...argv, '--json'], { ...coreCommands, ...accountsCommands, ...citizenCommands }, env.io, () => env);
  };

  it('set-level raises (audited, history with method and actor); a downgrade ends the sessions and tells the apps', async () => {
    const p = await person(s, { idNumber: newId(), phone: newPhone(), phoneVerified: true });
    const up = await cli(['person', 'set-level', '--id-number', p.idNumber!, '--level', '4', '--method', 'counter', '--note', '窗口核验 身份证原件']);
    expect(up.exitCode).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ sub: p.sub, from: 1, level: 4, method: 'counter', changed: true });

    const user = new HttpUser();
    const login = await beginLogin(user);
    const done = await post(user, new URL(formAction(login.html, '/login'), s.issuer).toString(), { ...formFields(login.html), identifier: p.idNumber!, password: PASSWORD });
    const tokens = await redeem(done.url, login.verifier, login.state);
    expect((await claimsOf(tokens)).real_name_level).toBe(4);
    const tokensBefore = receiver.tokens.length;

    const down = await cli(['person', 'set-level', '--id-number', p.idNumber!, '--level', '2']);
    expect(JSON.parse(down.stdout)).toMatchObject({ from: 4, level: 2, method: 'counter', sessions_ended: 1, logouts_queued: 1 });
    await expect.poll(() => receiver.tokens.length, { timeout: 10_000 }).toBeGreaterThan(tokensBefore);
    await expect(oidc.refreshTokenGrant(app.rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

    const history = JSON.parse((await cli(['person', 'level-history', '--id-number', p.idNumber!])).stdout);
    expect(history).toMatchObject({ sub: p.sub, level: 2, history: [{ level: 4, previous_level: 1, method: 'counter', actor: 'cli:counter01', note: '窗口核验 身份证原件' }, { level: 2, previous_level: 4 }] });
    const audit = (await audits('person.real_name_level')).slice(-2);
    expect(audit.map((a) => [a.actor, (a.detail as { from: number }).from, (a.detail as { to: number }).to])).toEqual([
      ['cli:counter01', 1, 4],
      ['cli:counter01', 4, 2],
    ]);

    // an administrator's starting level is the first history entry, with the administrator as actor
    const added = newId();
    expect((await cli(['person', 'add', '--id-number', added, '--name', '陈十三', '--phone', newPhone(), '--phone-verified', '--real-name-level', '3', '--password-stdin'])).exitCode).toBe(0);
    expect(JSON.parse((await cli(['person', 'level-history', '--id-number', added])).stdout)).toMatchObject({ level: 3, history: [{ level: 3, previous_level: null, method: 'counter', actor: 'cli:counter01' }] });
    expect(await s.app.db.selectFrom('persons').select('phone_verified').where('name', '=', '陈十三').executeTakeFirstOrThrow()).toEqual({ phone_verified: true });

    expect((await cli(['person', 'set-level', '--id-number', p.idNumber!, '--level', '7'])).exitCode).not.toBe(0);
    expect((await cli(['person', 'set-level', '--id-number', p.idNumber!, '--level', '2', '--method', 'magic'])).exitCode).toBe(2);
    expect((await cli(['person', 'set-level', '--id-number', newId(), '--level', '2'])).exitCode).toBe(1);
  });
});
