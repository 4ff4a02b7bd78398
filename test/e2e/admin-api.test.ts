// The admin API (issue 12) over HTTP on a real server: every documented operation called by every
// role (allowed: its answer; refused: 403, audited), the OpenAPI document validated and matched to
// the operations, department scoping (404 outside), bad input (4xx JSON, never 500), optimistic
// concurrency, pagination, error languages, person tokens from the console's sign-in (acr) and
// client_credentials tokens.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { department, person, ID_A, ID_B } from '../helpers/fixtures.ts';
import { generate } from 'otplib';
import { api, automationClient, ccToken, consoleSignIn, idNumber, importCsv, importForm, IMPORT_PROFILE } from '../helpers/admin.ts';
import { importsSettled } from '../../src/admin/imports.ts';
import { addClient, clientVersion } from '../../src/clients/service.ts';
import { clientStore } from '../../src/clients/store.ts';
import { grantPersonRole, revokePersonRole } from '../../src/admin/service.ts';
import { OPERATIONS } from '../../src/admin/api/ops/index.ts';
import { accessFor, type RoleGrant } from '../../src/admin/roles.ts';
import { jobStore } from '../../src/legacy/store.ts';
import { legacyAccountStore } from '../../src/legacy/account-store.ts';
import { bulkTx } from '../../src/db/bulk.ts';
import { outboxStore } from '../../src/logout/store.ts';
import { addOrg } from '../../src/orgs/org-lifecycle.ts';
import type { Person } from '../../src/accounts/person.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { startTestServer as startAnother } from '../helpers/server.ts';

const ORG = '91350100M000100Y43';
const OTHER_ID = idNumber('11010119900307123');

let s: TestServer;
let target: Person;
let appGA: string;
let appRS: string;
let jobGA: string;
let deliveryId: number;
/** failed import jobs (a truncated last row) to resume: GA's for the department role, FX's for security */
const failedJobs: Record<string, string> = {};
let importRow = 0;
const TRUNCATED = 'yhid,dlm,xm,sfzh,mm,salt\n9001,u9001,王五\n';
const tokens: Record<string, string> = {};
const grants: Record<string, RoleGrant[]> = {
  none: [],
  audit: [{ role: 'audit', department: null }],
  system: [{ role: 'system', department: null }],
  security: [{ role: 'security', department: null }],
  dept: [{ role: 'department', department: 'GA' }],
};

beforeAll(async () => {
  s = await startTestServer({ ADMIN_MIN_ACR: 'urn:yitong:acr:pwd', ADMIN_UPLOAD_MAX_MB: '0.05' });
  await department(s, 'GA', '公安局');
  await department(s, 'RS', '人社局');
  await department(s, 'FX', '发改委');
  await person(s, { idNumber: ID_A, name: '管理员', phone: null, email: null });
  target = await person(s, { idNumber: ID_B, name: '张三', phone: '13900139000', email: 'zs@example.cn' });
  await person(s, { idNumber: OTHER_ID, name: '李四', phone: '13900139000', email: null });
  for (const [name, role, dept] of [['none', null, null], ['audit', 'audit', null], ['system', 'system', null], ['security', 'security', null], ['dept', 'department', 'GA'], ['deptRS', 'department', 'RS']] as const) {
    tokens[name] = await ccToken(s, await automationClient(s, role, dept));
  }
  appGA = (await addClient(s.app, { name: '公安业务', redirectUris: ['http://127.0.0.1:9/cb'], department: 'GA' }, 'test', s.clientRules())).client_id;
  appRS = (await addClient(s.app, { name: '人社业务', redirectUris: ['http://127.0.0.1:9/cb'], department: 'RS' }, 'test', s.clientRules())).client_id;
  jobGA = crypto.randomUUID();
  await jobStore.insert(s.app.db, { id: jobGA, department_code: 'GA', source: 'ga.csv', source_kind: 'csv', source_fingerprint: null, source_secret_enc: null, profile: {}, status: 'done', counters: {}, actor: 'test' });
  await s.app.db.transaction().execute((trx) =>
    legacyAccountStore.insertMany(bulkTx(trx), [
      {
        department_code: 'GA', legacy_uid: 'u1001', person_id: target.id, login_name_bidx: null, password_scheme: 'md5', password_enc: null,
        id_number_unverified_enc: null, uscc: null, org_name: null, org_id: null, job_id: jobGA, row_number: 1,
      },
    ]),
  );
  await addOrg(s.app, { uscc: ORG, name: '某某科技有限公司', legalRepIdNumber: ID_B }, 'test');
  await outboxStore.insert(s.app.db, [{ event_id: crypto.randomUUID(), reason: 'person.logout', client_id: appGA, sub: target.sub, sid: null }]);
  deliveryId = (await outboxStore.page(s.app.db, { clientIds: [appGA] }, null, 1))[0].id;
  for (const d of ['GA', 'FX']) {
    const r = await api(s, tokens.security, 'POST', '/imports', importForm(d, TRUNCATED, IMPORT_PROFILE));
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    failedJobs[d] = r.body.job_id;
  }
  await importsSettled();
});
afterAll(() => s?.close());

/** A session of the target person at the provider (the console refuses them: no role), its uid. */
async function targetSessionUid(): Promise<string> {
  const r = await consoleSignIn(s, ID_B);
  expect(r.res.status).toBe(403);
  const list = await api(s, tokens.security, 'GET', `/persons/${target.sub}/sessions`);
  return list.body.items[0].id;
}
const version = async (id: string) => clientVersion((await clientStore.byId(s.app.db, id))!);

interface Fixture {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** the status an allowed caller gets (default 200) */
  ok?: number;
  /** the status a department administrator (GA) gets, when it differs */
  dept?: number;
}

let deptCode = 0;
const fixtures: Record<string, (role: string) => Promise<Fixture> | Fixture> = {
  'persons.search': () => ({ query: { id_number: ID_B } }),
  'persons.get': () => ({ params: { sub: target.sub } }),
  'persons.reveal': () => ({ params: { sub: target.sub }, body: { field: 'phone', reason: '窗口核实身份 / counter check' } }),
  'persons.disable': () => ({ params: { sub: target.sub } }),
  'persons.enable': () => ({ params: { sub: target.sub } }),
  'persons.unlock': () => ({ params: { sub: target.sub } }),
  'persons.logout': () => ({ params: { sub: target.sub } }),
  'persons.legacy_accounts': () => ({ params: { sub: target.sub } }),
  'sessions.list': () => ({ params: { sub: target.sub } }),
  'sessions.end': async (role) => ({ params: { sub: target.sub, session_id: role === 'security' ? await targetSessionUid() : 'AAAAAAAAAAAAAAAAAAAAAA' } }),
  'clients.list': () => ({}),
  'clients.create': () => ({ body: { name: '新应用', redirect_uris: ['https://app.example.gov.cn/cb'] }, ok: 201 }),
  'clients.get': () => ({ params: { client_id: appGA } }),
  'clients.update': async () => ({ params: { client_id: appGA }, body: { version: await version(appGA), redirect_uris: ['http://127.0.0.1:9/cb', 'http://127.0.0.1:9/cb2'] } }),
  'clients.rotate_secret': () => ({ params: { client_id: appGA } }),
  'clients.disable': () => ({ params: { client_id: appGA } }),
  'clients.enable': () => ({ params: { client_id: appGA } }),
  'departments.list': () => ({}),
  'departments.create': () => ({ body: { code: `D${++deptCode}`, name: '新部门' }, ok: 201 }),
  'departments.get': () => ({ params: { code: 'GA' } }),
  'keys.list': () => ({}),
  'keys.rotate': () => ({}),
  'orgs.list': () => ({}),
  'orgs.get': () => ({ params: { uscc: ORG } }),
  'orgs.set_status': () => ({ params: { uscc: ORG }, body: { status: 'active' } }),
  'orgs.revoke_authorization': () => ({ params: { uscc: ORG, authorization_id: crypto.randomUUID() }, ok: 404 }),
  'persons.reset_mfa': () => ({ params: { sub: target.sub }, body: { reason: '窗口核验身份后重置 / counter check' } }),
  'persons.set_level': () => ({ params: { sub: target.sub }, body: { level: 3, note: '窗口核验' } }),
  'imports.start': async (role) => {
    await importsSettled();
    const row = ++importRow;
    return { body: importForm(role === 'dept' ? 'GA' : 'RS', importCsv([[`s${row}`, '赵一', idNumber(`31010119900101${String(row).padStart(3, '0')}`)]]), IMPORT_PROFILE), ok: 202 };
  },
  'imports.progress': () => ({ params: { job_id: jobGA } }),
  'imports.resume': async (role) => {
    await importsSettled();
    return { params: { job_id: failedJobs[role === 'dept' ? 'GA' : 'FX'] }, ok: 202 };
  },
  // the security role here is an automation client: roles are managed by signed-in persons only (below)
  'admin_roles.list': () => ({}),
  'admin_roles.grant': () => ({ body: { sub: target.sub, role: 'audit' }, ok: 403 }),
  'admin_roles.revoke': () => ({ params: { grant_id: crypto.randomUUID() }, ok: 403 }),
  'imports.list': () => ({}),
  'imports.get': () => ({ params: { job_id: jobGA } }),
  'conflicts.list': () => ({ query: { status: 'all' } }),
  'conflicts.decide': () => ({ params: { conflict_id: crypto.randomUUID() }, body: { decision: 'merge' }, ok: 404 }),
  'audit.list': () => ({ query: { limit: '5' } }),
  'audit.export': () => ({ query: { event: 'admin.api' } }),
  'audit.verify': () => ({}),
  'outbox.list': () => ({}),
  'outbox.retry': () => ({ params: { delivery_id: String(deliveryId) } }),
  'me.get': () => ({}),
};

const fill = (path: string, params: Record<string, string> = {}) => path.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(params[k]));

describe('admin API: every operation, every role', () => {
  it('has a fixture for every documented operation', () => {
    expect(Object.keys(fixtures).sort()).toEqual(OPERATIONS.map((o) => o.id).sort());
  });

  for (const op of OPERATIONS) {
    it(`${op.id}: ${op.method.toUpperCase()} ${op.path} (${op.roles.join(', ')})`, async () => {
      const order = ['none', 'audit', 'system', 'security', 'dept'].sort((a, b) => Number(accessFor(grants[a], op.roles) !== null) - Number(accessFor(grants[b], op.roles) !== null));
      for (const role of order) {
        const f = await fixtures[op.id](role);
        const qs = f.query ? `?${new URLSearchParams(f.query)}` : '';
        const r = await api(s, tokens[role], op.method.toUpperCase(), fill(op.path, f.params) + qs, f.body);
        const access = accessFor(grants[role], op.roles);
        if (!access) {
          expect(r.status, `${role} ${JSON.stringify(r.body)}`).toBe(403);
          expect(r.body.error).toBe('admin.forbidden');
          continue;
        }
        const expected = access.all ? (f.ok ?? 200) : (f.dept ?? f.ok ?? 200);
        expect(r.status, `${role}: ${JSON.stringify(r.body).slice(0, 400)}`).toBe(expected);
        if (op.csv) expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      }
    });
  }

  it('audits every call, a refused one too, with the acting client and the target', async () => {
    const r = await api(s, tokens.audit, 'GET', '/audit?event=admin.api&outcome=denied&limit=200');
    expect(r.status).toBe(200);
    const refused = r.body.items.filter((x: any) => x.detail.operation === 'persons.disable');
    expect(refused.length).toBeGreaterThanOrEqual(4); // none, audit, system, dept
    expect(refused[0].actor).toMatch(/^client:yt_/);
    expect(refused[0].detail.status).toBe(403);
    const done = await api(s, tokens.audit, 'GET', '/audit?event=admin.api&outcome=success&limit=200');
    const disable = done.body.items.find((x: any) => x.detail.operation === 'persons.disable');
    expect(disable.detail.target).toEqual({ type: 'person', id: target.sub });
    const reveal = await api(s, tokens.audit, 'GET', '/audit?event=person.reveal');
    expect(reveal.body.items[0].detail).toMatchObject({ sub: target.sub, field: 'phone', reason: '窗口核实身份 / counter check' });

    // everything about that one person: the admin calls on them and the domain events alike
    const about = await api(s, tokens.audit, 'GET', `/audit?target=${encodeURIComponent(target.sub)}&limit=200`);
    expect(about.status).toBe(200);
    const events = new Set(about.body.items.map((x: any) => x.event));
    expect(events).toContain('admin.api');
    expect(events).toContain('person.reveal');
    expect(events).toContain('person.disable');
    for (const x of about.body.items) expect([x.detail.sub, x.detail.target?.id, x.client_id]).toContain(target.sub);
    const none = await api(s, tokens.audit, 'GET', '/audit?target=nobody-at-all');
    expect(none.body.items).toEqual([]);
  });
});

describe('admin API: the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document listing exactly the operations, with roles', async () => {
    const res = await fetch(`${s.issuer}/admin/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, methods]: [string, any]) => Object.entries(methods).map(([m, o]: [string, any]) => `${m} ${p} ${o.operationId}`));
    expect(documented.sort()).toEqual(OPERATIONS.map((o) => `${o.method} ${o.path} ${o.id}`).sort());
    const search = doc.paths['/persons'].get;
    expect(search['x-yitong-roles']).toEqual(['security', 'department']);
    expect(search.parameters.map((p: any) => p.name ?? p.$ref)).toEqual(['id_number', 'phone', 'limit', '#/components/parameters/lang']);
    const update = doc.paths['/clients/{client_id}'].patch;
    expect(update.requestBody.content['application/json'].schema.required).toContain('version');
    expect(update.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(update.responses['409'].$ref).toBe('#/components/responses/E409');
    expect(doc.components.schemas.Error.required).toEqual(['error', 'message']);
  });
});

describe('admin API: department administrators see their own department only', () => {
  it('another department’s app, department and job answer 404, as if they did not exist', async () => {
    for (const path of [`/clients/${appGA}`, '/departments/GA', `/imports/${jobGA}`]) {
      const r = await api(s, tokens.deptRS, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body.error).toBe('admin.not_found');
    }
    expect((await api(s, tokens.deptRS, 'POST', `/clients/${appGA}/disable`)).status).toBe(404);
    const list = await api(s, tokens.deptRS, 'GET', '/clients');
    expect(list.body.items.map((c: any) => c.client_id)).toContain(appRS);
    expect(new Set(list.body.items.map((c: any) => c.department))).toEqual(new Set(['RS'])); // its app and its automation client
    const depts = await api(s, tokens.deptRS, 'GET', '/departments');
    expect(depts.body.items.map((d: any) => d.code)).toEqual(['RS']);
    expect((await api(s, tokens.deptRS, 'POST', '/clients', { name: 'x', redirect_uris: ['https://x.example/cb'], department: 'GA' })).status).toBe(404);
  });

  it('finds only persons linked to its department, and only that department’s legacy accounts', async () => {
    expect((await api(s, tokens.deptRS, 'GET', `/persons?id_number=${ID_B}`)).body.items).toEqual([]);
    expect((await api(s, tokens.deptRS, 'GET', `/persons/${target.sub}`)).status).toBe(404);
    const ga = await api(s, tokens.dept, 'GET', `/persons/${target.sub}/legacy-accounts`);
    expect(ga.body.items).toEqual([expect.objectContaining({ department: 'GA', legacy_uid: 'u1001' })]);
    // a phone shared by two persons: the GA administrator sees the linked one only
    expect((await api(s, tokens.dept, 'GET', '/persons?phone=13900139000')).body.items.map((p: any) => p.sub)).toEqual([target.sub]);
    expect((await api(s, tokens.security, 'GET', '/persons?phone=13900139000')).body.items).toHaveLength(2);
  });
});

describe('admin API: answers and bad input', () => {
  it('masks persons', async () => {
    const r = await api(s, tokens.security, 'GET', `/persons/${target.sub}`);
    expect(r.body).toMatchObject({ sub: target.sub, id_number: '440524********0014', phone: '139****9000' });
    expect(JSON.stringify(r.body)).not.toContain(ID_B);
  });

  it('paginates with limit and an opaque cursor; a forged cursor is a 400', async () => {
    const first = await api(s, tokens.system, 'GET', '/clients?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await api(s, tokens.system, 'GET', `/clients?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.items[0].client_id > first.body.items[1].client_id).toBe(true);
    expect((await api(s, tokens.system, 'GET', '/clients?cursor=bm9wZQ')).status).toBe(400);
    expect((await api(s, tokens.system, 'GET', '/clients?limit=100000')).status).toBe(400);
  });

  it('refuses a stale version with 409', async () => {
    const v = await version(appRS);
    const ok = await api(s, tokens.system, 'PATCH', `/clients/${appRS}`, { version: v, redirect_uris: ['https://rs.example.gov.cn/cb'] });
    expect(ok.status).toBe(200);
    expect(ok.body.redirect_uris).toEqual(['https://rs.example.gov.cn/cb']);
    const stale = await api(s, tokens.system, 'PATCH', `/clients/${appRS}`, { version: v, redirect_uris: ['https://rs.example.gov.cn/other'] });
    expect(stale.status).toBe(409);
    expect(stale.body).toEqual({ error: 'admin.version_conflict', message: '该资源已被他人修改，请重新读取后再提交' });
    expect((await api(s, tokens.system, 'PATCH', `/clients/${appRS}`, { version: ok.body.version, redirect_uris: ['not a url'] })).status).toBe(400);
  });

  it('answers malformed JSON, unknown fields, oversized and non-JSON bodies, invalid ids with 4xx JSON', async () => {
    const sub = target.sub;
    const cases: [string, string, unknown, Record<string, string>, number, string][] = [
      ['POST', `/persons/${sub}/reveal`, '{"field": "phone",', {}, 400, 'admin.malformed_json'],
      ['POST', `/persons/${sub}/reveal`, { field: 'phone', reason: 'a good reason', extra: 1 }, {}, 400, 'admin.invalid_request'],
      ['POST', `/persons/${sub}/reveal`, { field: 'password', reason: 'a good reason' }, {}, 400, 'admin.invalid_request'],
      ['POST', `/persons/${sub}/reveal`, { field: 'phone', reason: 'x'.repeat(70_000) }, {}, 413, 'admin.payload_too_large'],
      ['POST', `/persons/${sub}/reveal`, 'field=phone', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'admin.unsupported_media_type'],
      ['POST', `/persons/${sub}/disable`, { please: true }, {}, 400, 'admin.invalid_request'],
      ['GET', '/persons/not%20a%20sub', undefined, {}, 400, 'admin.invalid_request'],
      ['GET', '/persons/%E0%A4%A', undefined, {}, 400, 'admin.invalid_request'],
      ['GET', '/persons?id_number=1.10105E%2B17', undefined, {}, 400, 'id_number.float_mangled'],
      ['GET', '/persons?id_number=110105194912310021', undefined, {}, 400, 'id_number.check_char'],
      ['GET', '/persons', undefined, {}, 400, 'admin.search_one'],
      ['GET', '/persons?name=张三', undefined, {}, 400, 'admin.invalid_request'],
      ['GET', `/persons/${'A'.repeat(22)}`, undefined, {}, 404, 'admin.not_found'],
      ['GET', '/imports/not-a-uuid', undefined, {}, 400, 'admin.invalid_request'],
      ['GET', '/audit?since=yesterday', undefined, {}, 403, 'admin.forbidden'],
      ['DELETE', '/persons', undefined, {}, 405, 'admin.method_not_allowed'],
      ['GET', '/nothing/here', undefined, {}, 404, 'admin.not_found'],
    ];
    for (const [method, path, body, headers, status, error] of cases) {
      const r = await api(s, tokens.security, method, path, body, headers);
      expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error, `${method} ${path}`).toBe(error);
      expect(typeof r.body.message).toBe('string');
    }
    expect((await api(s, tokens.audit, 'GET', '/audit?since=yesterday')).status).toBe(400);
    expect((await api(s, tokens.audit, 'GET', '/audit?outcome=maybe')).status).toBe(400);
  });

  it('speaks zh-CN by default, English by ?lang=en or Accept-Language', async () => {
    expect((await api(s, tokens.audit, 'GET', '/clients')).body.message).toBe('您的管理角色无权进行此操作');
    expect((await api(s, tokens.audit, 'GET', '/clients?lang=en')).body.message).toBe('Your admin role does not allow this');
    expect((await api(s, tokens.audit, 'GET', '/clients', undefined, { 'accept-language': 'en-GB,en;q=0.9' })).body.message).toBe('Your admin role does not allow this');
  });

  it('refuses a missing, unknown or foreign token with 401 (audited)', async () => {
    const none = await api(s, undefined, 'GET', '/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm="yitong-admin"/);
    expect((await api(s, 'x'.repeat(43), 'GET', '/me')).status).toBe(401);
    const audit = await api(s, tokens.audit, 'GET', '/audit?event=admin.api&outcome=denied&limit=50');
    expect(audit.body.items.some((x: any) => x.detail.status === 401 && x.detail.operation === 'me.get')).toBe(true);
  });

  it('exports the audit log as CSV, formulas defused', async () => {
    await s.app.audit.append({ event: 'audit.purge', outcome: 'info', actor: '=cmd|calc', detail: { note: 'a,b "c"' } });
    const res = await fetch(`${s.issuer}/admin/api/v1/audit/export.csv?event=audit.purge`, { headers: { authorization: `Bearer ${tokens.audit}` } });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM: spreadsheets read the Chinese right
    const text = bytes.toString('utf8');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="yitong-audit-/);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('\uFEFFseq,at,event,outcome,actor,client_id,ip,detail,hash');
    expect(lines[1]).toContain(`,audit.purge,info,'=cmd|calc,,,"{""note"":""a,b \\""c\\""""}",`);
  });
});

describe('admin API: person tokens from the console sign-in', () => {
  it('a security administrator signs in to the console; its access token works on the API with its roles', async () => {
    await grantPersonRole(s.app, ID_A, 'security', null, 'test');
    const { token, url } = await consoleSignIn(s, ID_A);
    expect(url).toBe(`${s.issuer}/admin`);
    expect(token).toBeTruthy();
    const me = await api(s, token, 'GET', '/me');
    expect(me.body).toMatchObject({ kind: 'person', roles: [{ role: 'security', department: null }] });
    expect((await api(s, token, 'GET', `/persons?id_number=${ID_B}`)).status).toBe(200);
    expect((await api(s, token, 'GET', '/audit')).status).toBe(403);
    // a revoked role stops the next call
    await revokePersonRole(s.app, ID_A, 'security', null, 'test');
    expect((await api(s, token, 'GET', `/persons?id_number=${ID_B}`)).status).toBe(403);
  });

  it('system and audit are never held together (default exclusion)', async () => {
    await grantPersonRole(s.app, OTHER_ID, 'system', null, 'test');
    await expect(grantPersonRole(s.app, OTHER_ID, 'audit', null, 'test')).rejects.toMatchObject({ code: 'admin.role_exclusive', status: 409 });
    await expect(grantPersonRole(s.app, OTHER_ID, 'department', null, 'test')).rejects.toMatchObject({ code: 'admin.department_required' });
    await grantPersonRole(s.app, OTHER_ID, 'department', 'GA', 'test');
  });

  it('with ADMIN_MIN_ACR=mfa (the default) a password sign-in is not enough: the second factor is set up inside the sign-in', async () => {
    const strict = await startAnother();
    try {
      await person(strict, { idNumber: ID_A, name: '管理员', phone: null, email: null });
      await grantPersonRole(strict.app, ID_A, 'security', null, 'test');
      const user = new HttpUser();
      const r = await consoleSignIn(strict, ID_A, user);
      expect(r.token).toBeUndefined();
      const html = await r.res.text();
      expect(html).toContain('设置两步验证'); // the console asks acr_values=mfa: a minimum (src/mfa)
      const secret = html.match(/id="totp-secret">([A-Z2-7 ]+)</)![1].replace(/ /g, '');
      const codes = await user.postForm(new URL(formAction(html, '/mfa/enrol'), strict.issuer).toString(), { ...formFields(html), otp: await generate({ secret }) });
      const next = (await codes.res.text()).match(/<form method="get" action="([^"]+)"/)![1].replace(/&amp;/g, '&');
      await user.follow(new URL(next, strict.issuer).toString());
      const token = user.jar.get('yt_admin');
      expect(token).toBeTruthy();
      expect((await api(strict, token, 'GET', '/persons?id_number=' + ID_A)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});
