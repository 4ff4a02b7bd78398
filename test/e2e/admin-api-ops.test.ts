// The admin API's import jobs (upload, progress, report, resume), the swap decision, role
// management and the security acts on a person (MFA reset, real-name level), on a real server:
// what each does, department scoping (404 outside), and bad input (4xx JSON, never 500).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { department, person, ID_A, ID_B } from '../helpers/fixtures.ts';
import { api, automationClient, ccToken, consoleSignIn, idNumber, importCsv, importForm, IMPORT_PROFILE } from '../helpers/admin.ts';
import { grantPersonRole } from '../../src/admin/service.ts';
import { importsSettled } from '../../src/admin/imports.ts';
import { checkCode, startEnrolment } from '../../src/mfa/totp.ts';
import { generate } from 'otplib';
import type { Person } from '../../src/accounts/person.ts';

let s: TestServer;
let admin: Person;
let target: Person;
const tokens: Record<string, string> = {};
const ID_C = idNumber('32010219850505123');

async function waitDone(token: string, jobId: string) {
  await importsSettled();
  const p = await api(s, token, 'GET', `/imports/${jobId}/progress`);
  expect(p.status).toBe(200);
  return p.body;
}

beforeAll(async () => {
  s = await startTestServer({ ADMIN_MIN_ACR: 'urn:yitong:acr:pwd', ADMIN_UPLOAD_MAX_MB: '0.05' });
  await department(s, 'GA', '公安局');
  await department(s, 'RS', '人社局');
  admin = await person(s, { idNumber: ID_A, name: '管理员', phone: null, email: null });
  target = await person(s, { idNumber: ID_B, name: '张三', phone: '13900139000', email: null });
  await grantPersonRole(s.app, ID_A, 'security', null, 'test');
  tokens.personal = (await consoleSignIn(s, ID_A)).token!;
  for (const [name, role, dept] of [['security', 'security', null], ['ga', 'department', 'GA'], ['rs', 'department', 'RS'], ['system', 'system', null]] as const) {
    tokens[name] = await ccToken(s, await automationClient(s, role, dept));
  }
});
afterAll(async () => {
  await importsSettled();
  await s?.close();
});

describe('admin API: import jobs from an upload', () => {
  it('starts an import, shows its progress to the end, reports it, and removes the finished file', async () => {
    const rows: [string, string, string][] = Array.from({ length: 7 }, (_, i) => [`g${i}`, `李${i}`, idNumber(`33010219900201${String(i).padStart(3, '0')}`)]);
    rows.push(['bad', '坏行', '110105194912310021']); // a wrong check character: rejected (on_error skip)
    const r = await api(s, tokens.ga, 'POST', '/imports', importForm('GA', importCsv(rows), IMPORT_PROFILE));
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ department: 'GA', status: 'running', rows_total: 8, report: null });
    const p = await waitDone(tokens.ga, r.body.job_id);
    expect(p).toMatchObject({ status: 'done', rows_done: 8, rows_total: 8, percent: 100, running_here: false, stalled: false, error: null });
    const report = await api(s, tokens.ga, 'GET', `/imports/${r.body.job_id}`);
    expect(report.body.counts).toMatchObject({ rows_read: 8, persons_created: 7, rejected: 1 });
    expect(fs.existsSync(path.join(s.app.config.dataDir, 'uploads', `${r.body.job_id}.csv`))).toBe(false);
    // the same profile again, chosen from the earlier job; a dry run answers with its report
    const again = await api(s, tokens.ga, 'POST', '/imports', importForm('GA', importCsv(rows.slice(0, 2)), undefined, { profile_job: r.body.job_id, dry_run: 'true' }));
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({ status: 'dry_run', report: { dry_run: true, counts: { accounts_unchanged: 2 } } });
  });

  it('resumes a failed job from its checkpoint; a job that ran to the end is not resumable (409)', async () => {
    const truncated = importCsv([['t1', '甲', idNumber('33010219900301001')], ['t2', '乙', idNumber('33010219900301002')]]) + 't3,t3,丙\n';
    const r = await api(s, tokens.security, 'POST', '/imports', importForm('RS', truncated, IMPORT_PROFILE));
    const failed = await waitDone(tokens.security, r.body.job_id);
    expect(failed).toMatchObject({ status: 'failed', rows_done: 2, error: { code: 'csv.truncated_row' } });
    const resumed = await api(s, tokens.security, 'POST', `/imports/${r.body.job_id}/resume`);
    expect(resumed.status).toBe(202);
    expect((await waitDone(tokens.security, r.body.job_id)).status).toBe('failed'); // the file still ends mid-row
    const done = (await api(s, tokens.security, 'GET', '/imports?status=done')).body.items[0].job_id;
    const refused = await api(s, tokens.security, 'POST', `/imports/${done}/resume?lang=en`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'import.not_resumable', message: 'This import job cannot be resumed (it is finished or was a dry run)' });
  });

  it('keeps a department administrator to its own department: 404 for another’s jobs, and for starting one', async () => {
    const list = await api(s, tokens.rs, 'GET', '/imports');
    expect(new Set(list.body.items.map((j: any) => j.department))).toEqual(new Set(['RS']));
    const ga = (await api(s, tokens.ga, 'GET', '/imports')).body.items[0].job_id;
    for (const [m, p] of [['GET', `/imports/${ga}/progress`], ['POST', `/imports/${ga}/resume`], ['GET', `/imports/${ga}`]]) {
      const r = await api(s, tokens.rs, m, p);
      expect(r.status, p).toBe(404);
      expect(r.body.error).toBe('admin.not_found');
    }
    const start = await api(s, tokens.rs, 'POST', '/imports', importForm('GA', importCsv([]), IMPORT_PROFILE));
    expect(start.status).toBe(404);
    const reuse = await api(s, tokens.rs, 'POST', '/imports', importForm('RS', importCsv([]), undefined, { profile_job: ga }));
    expect(reuse.status).toBe(404);
    // a refused role uploads nothing and is audited
    expect((await api(s, tokens.system, 'POST', '/imports', importForm('GA', importCsv([]), IMPORT_PROFILE))).status).toBe(403);
  });

  it('answers bad uploads with 4xx JSON, in zh-CN and English, and leaves no file behind', async () => {
    const csv = importCsv([]);
    const noFile = new FormData();
    noFile.set('department', 'GA');
    noFile.set('profile', JSON.stringify(IMPORT_PROFILE));
    const twoFiles = importForm('GA', csv, IMPORT_PROFILE);
    twoFiles.append('other', new Blob(['x']), 'x.csv');
    const cases: [unknown, Record<string, string>, number, string][] = [
      [noFile, {}, 400, 'admin.upload_missing'],
      [{ department: 'GA' }, {}, 415, 'admin.multipart_required'],
      [importForm('GA', 'x'.repeat(60 * 1024), IMPORT_PROFILE), {}, 413, 'admin.upload_too_large'],
      [importForm('GA', csv, IMPORT_PROFILE, { color: 'red' }), {}, 400, 'admin.invalid_request'],
      [importForm('GA', csv, '{"source": '), {}, 400, 'admin.profile_json'],
      [importForm('GA', csv, { ...IMPORT_PROFILE, on_error: 'ignore' }), {}, 400, 'import.profile_invalid'],
      [importForm('GA', csv, { ...IMPORT_PROFILE, source: { type: 'sql', url: 'postgres://u:p@h/db', query: 'select 1 order by 1' } }), {}, 400, 'admin.profile_sql'],
      [importForm('GA', csv, IMPORT_PROFILE, { profile_job: '00000000-0000-4000-8000-000000000000' }), {}, 400, 'admin.profile_one'],
      [importForm('GA', csv, undefined), {}, 400, 'admin.profile_one'],
      [importForm('../GA', csv, IMPORT_PROFILE), {}, 400, 'admin.invalid_request'],
      [importForm('NOPE', csv, IMPORT_PROFILE), {}, 404, 'department.unknown'],
      [twoFiles, {}, 400, 'admin.upload_field'],
      ['--x\r\nContent-Disposition: form-data; name="department"\r\n\r\nGA', { 'content-type': 'multipart/form-data; boundary=x' }, 400, 'admin.multipart_malformed'],
    ];
    for (const [body, headers, status, error] of cases) {
      const r = await api(s, tokens.security, 'POST', '/imports', body, headers);
      expect(r.status, `${error}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error).toBe(error);
      expect(r.body.message).toMatch(/[\u4e00-\u9fff]/);
    }
    const en = await api(s, tokens.security, 'POST', '/imports?lang=en', noFile);
    expect(en.body.message).toBe('Upload a file (the form part named file)');
    for (const [m, p, status] of [['GET', '/imports/nope/progress', 400], ['POST', '/imports/nope/resume', 400], ['GET', '/imports/00000000-0000-4000-8000-000000000000/progress', 404]] as const) {
      expect((await api(s, tokens.security, m, p)).status, p).toBe(status);
    }
    expect(fs.readdirSync(path.join(s.app.config.dataDir, 'uploads')).filter((f) => f.startsWith('.upload-'))).toEqual([]);
  });
});

describe('admin API: the review queue’s swap', () => {
  it('swaps a conflict: the queued row becomes the person of record, the earlier links move apart', async () => {
    const first = await api(s, tokens.security, 'POST', '/imports', importForm('GA', importCsv([['w1', '错名', ID_C]]), IMPORT_PROFILE));
    await waitDone(tokens.security, first.body.job_id);
    const second = await api(s, tokens.security, 'POST', '/imports', importForm('RS', importCsv([['r1', '真名', ID_C]]), IMPORT_PROFILE));
    await waitDone(tokens.security, second.body.job_id);
    const queue = await api(s, tokens.rs, 'GET', `/conflicts?job_id=${second.body.job_id}`);
    expect(queue.body.items).toHaveLength(1);
    const id = queue.body.items[0].id;
    expect((await api(s, tokens.ga, 'POST', `/conflicts/${id}/decision`, { decision: 'swap' })).status).toBe(404);
    expect((await api(s, tokens.rs, 'POST', `/conflicts/${id}/decision`, { decision: 'exchange' })).status).toBe(400);
    const r = await api(s, tokens.rs, 'POST', `/conflicts/${id}/decision`, { decision: 'swap' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ status: 'swapped', department: 'RS', legacy_uid: 'r1', kept_apart: { links: ['GA/w1'] } });
    const again = await api(s, tokens.rs, 'POST', `/conflicts/${id}/decision`, { decision: 'merge' });
    expect(again.status).toBe(409);
  });
});

describe('admin API: administrator roles', () => {
  it('a signed-in security administrator grants and revokes roles, never their own; exclusions hold; all audited', async () => {
    const granted = await api(s, tokens.personal, 'POST', '/admin-roles', { sub: target.sub, role: 'system' });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body).toMatchObject({ sub: target.sub, role: 'system', department: null, changed: true });
    const clash = await api(s, tokens.personal, 'POST', '/admin-roles', { sub: target.sub, role: 'audit' });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toBe('admin.role_exclusive');
    expect((await api(s, tokens.personal, 'POST', '/admin-roles', { sub: target.sub, role: 'department' })).body.error).toBe('admin.department_required');
    expect((await api(s, tokens.personal, 'POST', '/admin-roles', { sub: target.sub, role: 'department', department: 'NOPE' })).status).toBe(404);
    expect((await api(s, tokens.personal, 'POST', '/admin-roles', { sub: target.sub, role: 'root' })).status).toBe(400);
    const self = await api(s, tokens.personal, 'POST', '/admin-roles', { sub: admin.sub, role: 'system' });
    expect(self.status).toBe(403);
    expect(self.body.error).toBe('admin.role_self');
    const list = await api(s, tokens.personal, 'GET', '/admin-roles');
    const mine = list.body.items.find((g: any) => g.holder.sub === admin.sub);
    expect(list.body.items.find((g: any) => g.id === granted.body.id)).toMatchObject({ holder: { type: 'person', name: '张*' }, role: 'system' });
    expect((await api(s, tokens.personal, 'DELETE', `/admin-roles/${mine.id}`)).body.error).toBe('admin.role_self');
    expect((await api(s, tokens.security, 'DELETE', `/admin-roles/${granted.body.id}`)).body.error).toBe('admin.role_person_only');
    const revoked = await api(s, tokens.personal, 'DELETE', `/admin-roles/${granted.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ sub: target.sub, role: 'system' });
    expect((await api(s, tokens.personal, 'DELETE', `/admin-roles/${granted.body.id}`)).status).toBe(404);
    expect((await api(s, tokens.personal, 'DELETE', '/admin-roles/xyz')).status).toBe(400);
    const events = await s.app.db.selectFrom('audit_log').select(['event', 'outcome', 'actor']).where('event', 'in', ['admin.role.grant', 'admin.role.revoke']).where('actor', '=', admin.sub).execute();
    expect(events.map((e) => e.event).sort()).toEqual(['admin.role.grant', 'admin.role.revoke']);
  });
});

describe('admin API: MFA reset and real-name level', () => {
  it('resets a person’s second factors with a reason, ending their sessions', async () => {
    const { secret } = await startEnrolment(s.app, target);
    const then = Math.floor(Date.now() / 1000) - 60;
    expect(await checkCode(s.app, target, await generate({ secret, epoch: then }), { confirm: true, now: then })).toEqual({ ok: true });
    expect((await api(s, tokens.security, 'POST', `/persons/${target.sub}/reset-mfa`, {})).status).toBe(400);
    const r = await api(s, tokens.security, 'POST', `/persons/${target.sub}/reset-mfa`, { reason: '窗口核验身份后重置' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ sub: target.sub, totp_removed: true, passkeys_removed: 0, recovery_codes_removed: 0, sessions_ended: 0 });
    const audit = await s.app.db.selectFrom('audit_log').select('detail').where('event', '=', 'mfa.reset').execute();
    expect(JSON.stringify(audit.at(-1)!.detail)).toContain('窗口核验身份后重置');
    expect((await api(s, tokens.ga, 'POST', `/persons/${target.sub}/reset-mfa`, { reason: '窗口核验身份' })).status).toBe(403);
  });

  it('sets the real-name level with optimistic concurrency (from_level); a stale one is 409', async () => {
    const up = await api(s, tokens.security, 'POST', `/persons/${target.sub}/real-name-level`, { level: 4, from_level: 1, method: 'counter', note: '窗口核验' });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ from: 1, to: 4, changed: true });
    const stale = await api(s, tokens.security, 'POST', `/persons/${target.sub}/real-name-level`, { level: 2, from_level: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('admin.version_conflict');
    const down = await api(s, tokens.security, 'POST', `/persons/${target.sub}/real-name-level`, { level: 2, from_level: 4 });
    expect(down.body).toMatchObject({ from: 4, to: 2, sessions_ended: 0 });
    for (const body of [{ level: 5 }, { level: 2, method: 'guess' }, { level: '2' }, { level: 2, extra: true }]) {
      expect((await api(s, tokens.security, 'POST', `/persons/${target.sub}/real-name-level`, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await api(s, tokens.security, 'POST', `/persons/${'A'.repeat(22)}/real-name-level`, { level: 2 })).status).toBe(404);
  });
});
