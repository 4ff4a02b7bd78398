// The self-service pages over plain HTTP: sign-in through the built-in portal client, CSRF, and
// the bad input of the issue (a grant by someone who is not the legal representative, an unknown
// agent, another person's authorisation id): a clear page and nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { person, PASSWORD } from '../helpers/fixtures.ts';
import { addOrg } from '../../src/orgs/org-lifecycle.ts';
import { grantAuthorization } from '../../src/orgs/authorizations.ts';

const REP = '110101198001010010';
const AGENT = '310101199003070027';
const OTHER = '440304198512120031';
const STRANGER = '320102197006150048';
const ORG = '91350100M000100Y43';
const ORG_B = '91310115MA1FL00079';

let s: TestServer;
let pendingId: string;

/** Signs in on /orgs through the portal login; returns the "我的单位" page. */
async function signIn(user: HttpUser, idNumber: string, path = '/orgs') {
  const first = await user.follow(`${s.issuer}${path}`);
  const html = await first.res.text();
  expect(html).toContain('name="identifier"');
  const done = await user.postForm(new URL(formAction(html, '/login'), s.issuer).toString(), { ...formFields(html), identifier: idNumber, password: PASSWORD });
  expect(done.url).toBe(`${s.issuer}${path}`);
  return done.res.text();
}

const rows = () => s.app.db.selectFrom('org_authorizations').selectAll().orderBy('id').execute();

beforeAll(async () => {
  s = await startTestServer();
  await person(s, { idNumber: REP, name: '李法人', phone: null, email: null });
  await person(s, { idNumber: AGENT, name: '王经办', phone: null, email: null });
  await person(s, { idNumber: OTHER, name: '赵旁人', phone: null, email: null });
  await addOrg(s.app, { uscc: ORG, name: '福州一通科技有限公司', legalRepIdNumber: REP }, 'test');
  await addOrg(s.app, { uscc: ORG_B, name: '上海浦东示例有限公司', legalRepIdNumber: OTHER }, 'test');
  pendingId = (await grantAuthorization(s.app, { uscc: ORG, agentIdNumber: AGENT }, { actor: 'test', activate: false })).authorization.id;
});

afterAll(async () => {
  await s?.close();
});

describe('self-service pages', () => {
  it('send a visitor without a session through sign-in and back', async () => {
    const user = new HttpUser();
    const html = await signIn(user, AGENT);
    expect(html).toContain('我的单位');
    expect(html).toContain('待接受的授权');
    expect(html).toContain('福州一通科技有限公司');
    expect(html).toContain('王*'); // the name is masked on the page
    // signed in once, the page opens directly
    const again = await user.request(`${s.issuer}/orgs`);
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toContain('no-store');
  });

  it('refuse a POST without a session or with a wrong CSRF token, changing nothing', async () => {
    const before = await rows();
    const anon = await new HttpUser().postForm(`${s.issuer}/orgs/authorizations/${pendingId}/accept`, { csrf: 'x' });
    expect(anon.res.status).toBe(401);
    const user = new HttpUser();
    await signIn(user, AGENT);
    const bad = await user.postForm(`${s.issuer}/orgs/authorizations/${pendingId}/accept`, { csrf: 'forged' });
    expect(bad.res.status).toBe(403);
    expect(await bad.res.text()).toContain('页面已过期');
    expect(await rows()).toEqual(before);
  });

  it("refuse another person's authorisation id, and accept one's own", async () => {
    const before = await rows();
    // OTHER, signed in with a valid CSRF token (from the agents page of their own org), tries AGENT's grant
    const other = new HttpUser();
    await signIn(other, OTHER, `/orgs/${ORG_B}/agents`);
    const own = await (await other.request(`${s.issuer}/orgs/${ORG_B}/agents`)).text();
    const res = await other.postForm(`${s.issuer}/orgs/authorizations/${pendingId}/accept`, { csrf: formFields(own).csrf });
    expect(res.res.status).toBe(404);
    expect(await res.res.text()).toContain('没有找到有效或待接受的授权');
    expect(await rows()).toEqual(before);

    const agent = new HttpUser();
    const page = await signIn(agent, AGENT);
    const ok = await agent.postForm(new URL(formAction(page, '/accept'), s.issuer).toString(), formFields(page));
    expect(ok.url).toBe(`${s.issuer}/orgs?done=accepted`);
    const after = await ok.res.text();
    expect(after).toContain('已接受授权');
    expect(after).toContain('经办人');
  });

  it('keep 经办人管理 to the legal representative: others get a clear 403 and grant nothing', async () => {
    const before = await rows();
    // the agent of ORG, and the representative of another org (with a valid CSRF token of their own)
    const agent = new HttpUser();
    await signIn(agent, AGENT);
    const page = await agent.request(`${s.issuer}/orgs/${ORG}/agents`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('只有该单位的法定代表人才能管理经办人');
    const other = new HttpUser();
    await signIn(other, OTHER, `/orgs/${ORG_B}/agents`);
    const csrf = formFields(await (await other.request(`${s.issuer}/orgs/${ORG_B}/agents`)).text()).csrf;
    const post = await other.postForm(`${s.issuer}/orgs/${ORG}/agents`, { csrf, id_number: AGENT, name: '王经办' });
    expect(post.res.status).toBe(403);
    const revoke = await other.postForm(`${s.issuer}/orgs/${ORG}/agents/${pendingId}/revoke`, { csrf });
    expect(revoke.res.status).toBe(403);
    expect(await rows()).toEqual(before);
    const audit = await s.app.audit.list({ event: 'org.grant.create' });
    expect(audit[0]).toMatchObject({ outcome: 'denied' });
  });

  it('tell the representative clearly about an unknown agent, a bad date or a bad USCC', async () => {
    const before = await rows();
    const rep = new HttpUser();
    await signIn(rep, REP, `/orgs/${ORG}/agents`);
    const page = await (await rep.request(`${s.issuer}/orgs/${ORG}/agents`)).text();
    const action = `${s.issuer}/orgs/${ORG}/agents`;
    expect(page).toContain(`action="/orgs/${ORG}/agents"`);
    const fields = { csrf: formFields(page).csrf };
    const unknown = await rep.postForm(action, { ...fields, id_number: STRANGER, name: '无此人' });
    expect(unknown.res.status).toBe(404);
    expect(await unknown.res.text()).toContain('未找到证件号码与姓名相符的已注册用户');
    const past = await rep.postForm(action, { ...fields, id_number: OTHER, name: '赵旁人', until: '2001-01-01' });
    expect(past.res.status).toBe(400);
    expect(await past.res.text()).toContain('有效期截止日期不能早于今天');
    const badId = await rep.postForm(action, { ...fields, id_number: '110101198001010011', name: '赵旁人' });
    expect(await badId.res.text()).toContain('身份证号码校验位不正确');
    const badOrg = await rep.postForm(`${s.issuer}/orgs/91350100M000100Y44/agents`, { ...fields, id_number: OTHER, name: '赵旁人' });
    expect(badOrg.res.status).toBe(400);
    expect(await badOrg.res.text()).toContain('统一社会信用代码校验位不正确');
    expect(await rows()).toEqual(before);
    // and a good grant goes through, pending the agent's acceptance
    const ok = await rep.postForm(action, { ...fields, id_number: OTHER, name: '赵旁人' });
    expect(ok.url).toBe(`${s.issuer}/orgs/${ORG}/agents?done=granted`);
    expect((await rows()).find((r) => r.status === 'pending')).toBeTruthy();
  });
});
