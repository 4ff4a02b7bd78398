// The import job against a real database (PGlite, or PostgreSQL with DATABASE_URL): three
// departments with overlapping people, dedupe and the review queue, idempotent re-runs, dry runs,
// bad input with file/row/column messages and no half-written batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { resumeImport, startImport } from '../../src/legacy/job/runner.ts';
import { ImportFailed } from '../../src/legacy/errors.ts';
import { listConflicts, resolveConflict } from '../../src/legacy/conflicts.ts';
import { verifyLegacyHash } from '../../src/legacy/schemes/index.ts';
import { openLegacyHash, openUnverifiedId } from '../../src/legacy/secrets.ts';
import { activeLegacyHashes, findPersonByLegacyLogin, legacyPasswordVerifier } from '../../src/legacy/login.ts';
import { openPerson } from '../../src/accounts/person.ts';
import { personStore } from '../../src/accounts/store.ts';
import { PEOPLE, USCC, canonicalState, count, csv, departments, hashes, openTestApp, profile, residentIdFor, tempDir, threeDepartments, type Scenario, type TestApp } from '../fixtures/legacy/support.ts';

let t: TestApp;
const dir = tempDir();
let scenario: Scenario;
const jobs: Record<string, string> = {};

beforeAll(async () => {
  t = await openTestApp();
  await departments(t.app, ['GA', '公安局'], ['RS', '人社局'], ['WJ', '卫健委'], ['SJ', '市场监管局']);
  scenario = threeDepartments(dir);
});
afterAll(async () => {
  await t?.close();
  dir.remove();
});

const run = (department: string, file: string, p: Scenario['ga']['profile'], extra: { dryRun?: boolean; reportFile?: string } = {}) =>
  startImport(t.app, { department, profile: p, file }, { actor: 'cli:test', ...extra });

describe('three departments with overlapping people', () => {
  it('predicts the first import exactly in a dry run, writing nothing but the job record', async () => {
    const before = await canonicalState(t.app);
    const dry = await run('GA', scenario.ga.file, scenario.ga.profile, { dryRun: true });
    expect(dry).toMatchObject({ status: 'dry_run', dry_run: true, counts: { rows_read: 4, persons_created: 3, accounts_linked: 3, rejected: 1 } });
    expect(dry.rejections).toEqual([expect.objectContaining({ row: 4, code: 'hash.shape', column: 'mm' })]);
    const after = await canonicalState(t.app);
    expect(after.persons).toEqual(before.persons);
    expect(after.accounts).toEqual(before.accounts);
    expect(after.rejections).toEqual(before.rejections);
    expect(after.jobs).toEqual([expect.objectContaining({ status: 'dry_run', checkpoint: 4 })]);
    const audit = await t.app.audit.list({ event: 'import.dry_run' });
    expect(audit).toHaveLength(1);
  });

  it('imports GA (UTF-8 CSV): persons created, the bad hash rejected with row and column', async () => {
    const r = await run('GA', scenario.ga.file, scenario.ga.profile);
    jobs.ga = r.job_id;
    expect(r.counts).toMatchObject({ rows_read: 4, persons_created: 3, persons_merged: 0, accounts_linked: 3, rejected: 1, conflicts: 0 });
    expect(r.rejections[0]).toMatchObject({ row: 4, line: 5, code: 'hash.shape', column: 'mm', values: { legacy_uid: 'g4', name: '周*' } });
    expect(JSON.stringify(r.rejections)).not.toContain('not-a-sha256');
    expect(await count(t.app.db, 'persons')).toBe(3);
  });

  it('imports RS (GBK CSV, RuoYi): 张三 merged by ID number, an org created, a float-mangled ID kept unverified', async () => {
    const r = await run('RS', scenario.rs.file, scenario.rs.profile);
    jobs.rs = r.job_id;
    expect(r.counts).toMatchObject({ rows_read: 3, persons_created: 1, persons_merged: 1, unverified_accounts: 1, accounts_linked: 3, orgs_created: 1, rejected: 0 });
    expect(r.counts.warnings).toMatchObject({ 'id_number.unverified': 1 });
    expect(await count(t.app.db, 'persons')).toBe(5);
    const org = await t.app.db.selectFrom('orgs').selectAll().where('uscc', '=', USCC).executeTakeFirstOrThrow();
    const zhang = await findPersonByLegacyLogin(t.app, 'GA', 'zhangsan');
    expect(org).toMatchObject({ name: '福州市某某科技有限公司', legal_rep_person_id: zhang!.id, type: 'enterprise' });
    // contact data fills what the person lacked (GA had no e-mail); it never decides who the person is
    const merged = await findPersonByLegacyLogin(t.app, 'rs', 'ZS');
    expect(merged!.id).toBe(zhang!.id);
    expect(merged!.email).toBe('zhangsan@example.cn');
    expect(merged!.phone).toBe('13800138000');
    const qian = await findPersonByLegacyLogin(t.app, 'RS', 'qianqi');
    expect(qian).toMatchObject({ idNumber: null, realNameLevel: 1, name: '钱七' });
  });

  it('imports WJ (JSON Lines, bcrypt): an exact ID from a JSON number, and a conflict held for review, not merged', async () => {
    const r = await run('WJ', scenario.wj.file, scenario.wj.profile);
    jobs.wj = r.job_id;
    expect(r.counts).toMatchObject({ rows_read: 4, persons_created: 1, persons_merged: 2, accounts_linked: 3, conflicts: 1, rejected: 0 });
    expect(r.conflicts).toEqual([
      expect.objectContaining({ row: 3, legacy_uid: 'w3', code: 'conflict.name_mismatch', status: 'pending', values: expect.objectContaining({ name_in_row: '王**', name_on_record: '王*' }) }),
    ]);
    expect(JSON.stringify(r.conflicts)).not.toContain(PEOPLE.wang.id);
    expect(await count(t.app.db, 'persons')).toBe(6);
    const li = await findPersonByLegacyLogin(t.app, 'WJ', 'lisi');
    expect(li!.idNumber).toBe(PEOPLE.li.id);
    expect(await findPersonByLegacyLogin(t.app, 'WJ', 'wangxiaowu')).toBeNull();
  });

  it('keeps every foreign hash sealed with its scheme, verifying the old passwords', async () => {
    const accounts = await t.app.db.selectFrom('legacy_accounts').selectAll().orderBy('department_code').orderBy('legacy_uid').execute();
    expect(accounts.map((a) => `${a.department_code}/${a.legacy_uid}:${a.password_scheme}`)).toEqual([
      'GA/g1:sha256',
      'GA/g2:sha256',
      'GA/g3:sha256',
      'RS/1001:ruoyi-md5',
      'RS/1002:ruoyi-md5',
      'RS/1003:ruoyi-md5',
      'WJ/w1:bcrypt',
      'WJ/w2:bcrypt',
      'WJ/w4:bcrypt',
    ]);
    const logins: Record<string, string> = { g1: 'GA/zhangsan', '1001': 'RS/zs', w1: 'WJ/zhang.san', '1003': 'RS/qianqi' };
    for (const a of accounts) {
      const stored = openLegacyHash(t.app.keyring, a.department_code, a.legacy_uid, a.password_enc!);
      expect(a.password_enc).not.toContain(stored.hash);
      const login = logins[a.legacy_uid];
      if (login) expect(await verifyLegacyHash(scenario.passwords[login], stored)).toBe(true);
    }
    // a sealed hash moved onto another account does not open there
    const [a, b] = accounts;
    expect(() => openLegacyHash(t.app.keyring, b.department_code, b.legacy_uid, a.password_enc!)).toThrow();
  });

  it('changes nothing when a finished import is run again', async () => {
    const before = await canonicalState(t.app);
    const again = await run('RS', scenario.rs.file, scenario.rs.profile);
    expect(again.counts).toMatchObject({ rows_read: 3, accounts_unchanged: 3, accounts_linked: 0, persons_created: 0, persons_merged: 0, orgs_created: 0 });
    const wj = await run('WJ', scenario.wj.file, scenario.wj.profile);
    expect(wj.counts).toMatchObject({ accounts_unchanged: 3, in_review: 1, conflicts: 0 });
    const after = await canonicalState(t.app);
    expect(after.persons).toEqual(before.persons);
    expect(after.accounts).toEqual(before.accounts);
    expect(after.conflicts).toEqual(before.conflicts);
  });

  it('lists the conflict and keeps it apart: an account of its own, without the ID number; audited', async () => {
    const [c] = await listConflicts(t.app, { limit: 10 }, { actor: 'cli:test' });
    expect(c).toMatchObject({ department: 'WJ', legacy_uid: 'w3', status: 'pending' });
    const revealed = await listConflicts(t.app, { limit: 10 }, { actor: 'cli:test', reveal: true });
    expect(revealed[0].revealed).toMatchObject({ name_in_row: '王小五', name_on_record: '王五' });
    const r = await resolveConflict(t.app, c.id, 'keep_apart', 'cli:reviewer');
    expect(r).toMatchObject({ status: 'kept_apart', department: 'WJ', legacy_uid: 'w3' });
    const p = await findPersonByLegacyLogin(t.app, 'WJ', 'wangxiaowu');
    expect(p).toMatchObject({ name: '王小五', idNumber: null, sub: r.sub });
    await expect(resolveConflict(t.app, c.id, 'merge', 'cli:reviewer')).rejects.toMatchObject({ code: 'import.conflict_decided' });
    expect(await listConflicts(t.app, { limit: 10 }, { actor: 'cli:test' })).toEqual([]);
    const audit = await t.app.audit.list({ event: 'import.conflict.resolve' });
    expect(audit[0]).toMatchObject({ actor: 'cli:reviewer', detail: expect.objectContaining({ decision: 'kept_apart', conflict_id: c.id }) });
    expect(await t.app.audit.list({ event: 'import.conflicts.reveal' })).toHaveLength(1);
  });

  it('merges a conflict into the person on record when told to', async () => {
    const f = dir.file('wj2.jsonl', `${JSON.stringify({ uid: 'w9', login: 'zhang3', name: '张叁', idno: PEOPLE.zhang.id, pwd: hashes.bcrypt('Wj#Zhang9') })}\n`);
    const r = await run('WJ', f, scenario.wj.profile);
    expect(r.counts.conflicts).toBe(1);
    const done = await resolveConflict(t.app, r.conflicts[0].id, 'merge', 'cli:reviewer');
    const zhang = await findPersonByLegacyLogin(t.app, 'GA', 'zhangsan');
    expect(done.sub).toBe(zhang!.sub);
    expect((await findPersonByLegacyLogin(t.app, 'WJ', 'zhang3'))!.id).toBe(zhang!.id);
  });
});

describe('login names', () => {
  it('counts login names shared by different persons; those resolve nobody, the ID number still works', async () => {
    const rows = [
      { uid: 'n1', dlm: 'Wang', xm: '王一', sfzh: residentIdFor(7001), mm: hashes.md5('a') },
      { uid: 'n2', dlm: 'wang', xm: '王二', sfzh: residentIdFor(7002), mm: hashes.md5('b') },
      { uid: 'n3', dlm: 'zhao', xm: '赵三', sfzh: residentIdFor(7003), mm: hashes.md5('c') },
      { uid: 'n4', dlm: 'ZHAO', xm: '赵三', sfzh: residentIdFor(7003), mm: hashes.md5('d') },
    ];
    const f = dir.file('logins.csv', csv(rows, ['uid', 'dlm', 'xm', 'sfzh', 'mm']));
    const p = profile({ source: { type: 'csv' }, columns: { legacy_uid: 'uid', login_name: 'dlm', name: 'xm', id_number: 'sfzh', password_hash: 'mm' }, password: { scheme: 'md5' } });
    await departments(t.app, ['LN', '登录名测试']);
    const r = await run('LN', f, p);
    expect(r.ambiguous_login_names).toBe(1);
    expect(await findPersonByLegacyLogin(t.app, 'LN', 'wang')).toBeNull();
    // the same person twice under one name (case aside) is not ambiguous
    expect((await findPersonByLegacyLogin(t.app, 'ln', ' Zhao '))!.name).toBe('赵三');
  });
});

describe('per-row schemes and plaintext', () => {
  it('picks each row’s scheme from a column, rejecting an unknown marker at its column', async () => {
    const rows = [
      { id: 's1', pw: 'P@ss-md5', kind: '1', hash: hashes.md5('P@ss-md5'), salt: '' },
      { id: 's2', pw: 'P@ss-sha', kind: '2', hash: hashes.sha256Salted('P@ss-sha', 'salt2'), salt: 'salt2' },
      { id: 's3', pw: 'P@ss-sm3', kind: '3', hash: hashes.sm3Salted('P@ss-sm3', 'salt3'), salt: 'salt3' },
      { id: 's4', pw: 'P@ss-bc', kind: '4', hash: hashes.bcrypt('P@ss-bc'), salt: '' },
      { id: 's5', pw: 'x', kind: '9', hash: hashes.md5('x'), salt: '' },
    ];
    const f = dir.file(
      'mixed.csv',
      csv(
        rows.map((r, i) => ({ uid: r.id, xm: '测试', sfzh: residentIdFor(9000 + i), mmlx: r.kind, mm: r.hash, yan: r.salt })),
        ['uid', 'xm', 'sfzh', 'mmlx', 'mm', 'yan'],
      ),
    );
    const p = profile({
      source: { type: 'csv' },
      columns: { legacy_uid: 'uid', name: 'xm', id_number: 'sfzh', password_hash: 'mm', salt: 'yan', password_scheme: 'mmlx' },
      password: {
        schemes: {
          '1': { scheme: 'md5' },
          '2': { scheme: 'sha256', params: { salt_position: 'after' } },
          '3': { scheme: 'sm3', params: { salt_position: 'before' } },
          '4': { scheme: 'bcrypt' },
        },
      },
      on_error: 'skip',
    });
    const r = await run('SJ', f, p);
    expect(r.counts).toMatchObject({ accounts_linked: 4, rejected: 1 });
    expect(r.rejections[0]).toMatchObject({ row: 5, code: 'hash.scheme_unknown', column: 'mmlx' });
    for (const row of rows.slice(0, 4)) {
      const a = await t.app.db.selectFrom('legacy_accounts').selectAll().where('department_code', '=', 'SJ').where('legacy_uid', '=', row.id).executeTakeFirstOrThrow();
      expect(await verifyLegacyHash(row.pw, openLegacyHash(t.app.keyring, 'SJ', row.id, a.password_enc!))).toBe(true);
    }
  });

  it('hashes plaintext passwords with argon2id at import and never stores them', async () => {
    const f = dir.file('plain.csv', csv([{ uid: 'p1', xm: '明文', sfzh: residentIdFor(9100), mm: 'Plain#Text1' }], ['uid', 'xm', 'sfzh', 'mm']));
    const p = profile({ source: { type: 'csv' }, columns: { legacy_uid: 'uid', name: 'xm', id_number: 'sfzh', password_hash: 'mm' }, password: { scheme: 'plaintext' } });
    const r = await run('SJ', f, p);
    expect(r.counts).toMatchObject({ accounts_linked: 1, passwords_rehashed: 1 });
    const a = await t.app.db.selectFrom('legacy_accounts').selectAll().where('legacy_uid', '=', 'p1').executeTakeFirstOrThrow();
    const stored = openLegacyHash(t.app.keyring, 'SJ', 'p1', a.password_enc!);
    expect(a.password_scheme).toBe('argon2');
    expect(stored.hash).toMatch(/^\$argon2id\$/);
    expect(await verifyLegacyHash('Plain#Text1', stored)).toBe(true);
  });
});

describe('bad input: a clear message with file, row and column; no half-written batch', () => {
  const p = (extra: Record<string, unknown> = {}) =>
    profile({
      source: { type: 'csv' },
      columns: { legacy_uid: 'uid', name: 'xm', id_number: 'sfzh', password_hash: 'mm' },
      password: { scheme: 'md5' },
      batch_size: 3,
      ...extra,
    });
  const good = (i: number) => ({ uid: `b${i}`, xm: '好人', sfzh: residentIdFor(5000 + i), mm: hashes.md5(`pw${i}`) });
  const accountsOf = async (jobId: string) => (await t.app.db.selectFrom('legacy_accounts').select('row_number').where('job_id', '=', jobId).orderBy('row_number').execute()).map((r) => r.row_number);
  const failedJob = async (promise: Promise<unknown>) => {
    const err = (await promise.then(() => null, (e: unknown) => e)) as ImportFailed;
    expect(err).toBeInstanceOf(ImportFailed);
    return err;
  };

  it('stops at a bad row under on_error "stop": earlier batches stay, the bad row’s batch is not written', async () => {
    const rows = [good(1), good(2), good(3), good(4), { ...good(5), mm: 'zzz' }, good(6), good(7)];
    const f = dir.file('stop.csv', csv(rows, ['uid', 'xm', 'sfzh', 'mm']));
    const err = await failedJob(run('SJ', f, p()));
    expect(err.code).toBe('hash.shape');
    expect(err.message).toContain(f);
    expect(err.message).toContain('row 5');
    expect(err.message).toContain('column "mm"');
    expect(err.message).toMatch(/第 5 条记录/);
    expect(await accountsOf(err.jobId!)).toEqual([1, 2, 3]);
    const job = await t.app.db.selectFrom('import_jobs').selectAll().where('id', '=', err.jobId!).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'failed', checkpoint: 3, error: expect.objectContaining({ code: 'hash.shape', row: 5, column: 'mm', line: 6 }) });
    // resuming the unchanged file meets the same row again, and writes nothing more
    const again = await failedJob(resumeImport(t.app, err.jobId!, { actor: 'cli:test' }));
    expect(again.code).toBe('hash.shape');
    expect(await accountsOf(err.jobId!)).toEqual([1, 2, 3]);
  });

  it('skips bad rows under on_error "skip", each with its reason', async () => {
    const rows = [good(11), { ...good(12), sfzh: '110105194912310021' }, { ...good(13), uid: '' }, good(14)];
    const f = dir.file('skip.csv', csv(rows, ['uid', 'xm', 'sfzh', 'mm']));
    const r = await run('SJ', f, p({ on_error: 'skip' }));
    expect(r.rejections.map((x) => [x.row, x.code, x.column])).toEqual([
      [2, 'id_number.check_char', 'sfzh'],
      [3, 'legacy_uid.empty', 'uid'],
    ]);
    expect(r.rejections[0].values.id_number).toBe('110105********0021');
    expect(await accountsOf(r.job_id)).toEqual([1, 4]);
  });

  it('rejects a row with too many fields (skip) and stops on it (stop)', async () => {
    const text = `uid,xm,sfzh,mm\n${['b21', '甲', residentIdFor(5021), hashes.md5('a')].join(',')}\nb22,乙,${residentIdFor(5022)},${hashes.md5('b')},extra\n`;
    const f = dir.file('fields.csv', text);
    const skipped = await run('SJ', f, p({ on_error: 'skip' }));
    expect(skipped.rejections).toEqual([expect.objectContaining({ row: 2, code: 'csv.too_many_fields' })]);
    const f2 = dir.file('fields2.csv', text.replace(/b2/g, 'b3'));
    const err = await failedJob(run('SJ', f2, p()));
    expect(err.code).toBe('csv.too_many_fields');
    expect(err.message).toContain('row 2');
    expect(await accountsOf(err.jobId!)).toEqual([]);
  });

  it('fails on an undecodable byte with its row and byte offset, keeping only whole earlier batches', async () => {
    const rows = [good(31), good(32), good(33), good(34), good(35)].map((r) => [r.uid, r.xm, r.sfzh, r.mm].join(','));
    const head = Buffer.from(`uid,xm,sfzh,mm\n${rows.slice(0, 4).join('\n')}\n`, 'utf8');
    const bad = Buffer.concat([head, Buffer.from([0xc3, 0x28]), Buffer.from(`${rows[4]}\n`)]);
    const f = dir.file('bad-utf8.csv', bad);
    const err = await failedJob(run('SJ', f, p({ source: { type: 'csv', encoding: 'utf-8' } })));
    expect(err.code).toBe('encoding.invalid_utf8');
    expect(err.message).toContain(`byte offset ${head.length}`);
    expect(err.message).toContain('row 5');
    expect(await accountsOf(err.jobId!)).toEqual([1, 2, 3]);
  });

  it('fails on a truncated file (an unclosed quote) and on a missing column, naming them', async () => {
    const f = dir.file('trunc.csv', `uid,xm,sfzh,mm\nb41,"丙,${residentIdFor(5041)},${hashes.md5('x')}\n`);
    const err = await failedJob(run('SJ', f, p({ on_error: 'skip' })));
    expect(err.code).toBe('csv.truncated');
    expect(err.message).toContain('row 1');
    const g = dir.file('nocol.csv', iconv.encode(`uid,姓名,sfzh,mm\nb51,丁,${residentIdFor(5051)},${hashes.md5('x')}\n`, 'gbk'));
    const missing = await failedJob(run('SJ', g, p({ on_error: 'skip' })));
    expect(missing.code).toBe('csv.missing_column');
    expect(missing.message).toContain('xm (columns.name)');
    expect(missing.message).toContain('header');
  });

  it('fails on a file cut in the middle of its last row whatever on_error says; the fixed file resumes from the checkpoint', async () => {
    const line = (r: ReturnType<typeof good>) => [r.uid, r.xm, r.sfzh, r.mm].join(',');
    const rows = [good(71), good(72), good(73), good(74), good(75), good(76)];
    const head = `uid,xm,sfzh,mm\n${rows.slice(0, 4).map(line).join('\n')}\n`;
    const f = dir.file('cut.csv', `${head}b75,好人`); // cut after the name, no final newline
    const err = await failedJob(run('SJ', f, p({ on_error: 'skip' })));
    expect(err.code).toBe('csv.truncated_row');
    expect(err.message).toContain('row 5');
    expect(err.message).toMatch(/truncated/);
    expect(err.message).toMatch(/截断/);
    expect(await accountsOf(err.jobId!)).toEqual([1, 2, 3]);
    const job = await t.app.db.selectFrom('import_jobs').selectAll().where('id', '=', err.jobId!).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'failed', checkpoint: 3, error: expect.objectContaining({ code: 'csv.truncated_row', row: 5, line: 6 }) });
    // an edit before the row that stopped it is another file: refused
    dir.file('cut.csv', `${head.replace('好人', '坏人')}${line(rows[4])}\n`);
    await expect(resumeImport(t.app, err.jobId!, { actor: 'cli:test' })).rejects.toMatchObject({ code: 'import.source_changed' });
    // the file completed from that row on: resumed from the checkpoint, to the end
    dir.file('cut.csv', `${head}${line(rows[4])}\n${line(rows[5])}\n`);
    const r = await resumeImport(t.app, err.jobId!, { actor: 'cli:test' });
    expect(r).toMatchObject({ status: 'done', counts: { rows_read: 6, accounts_linked: 6, rejected: 0 } });
    expect(await accountsOf(err.jobId!)).toEqual([1, 2, 3, 4, 5, 6]);
    const resumed = await t.app.audit.list({ event: 'import.resume' });
    expect(resumed.find((a) => (a.detail as { job_id?: string }).job_id === err.jobId)?.detail).toMatchObject({ source_fixed: true });
  });

  it('keeps one rejection per source row and department across re-runs (the latest job’s)', async () => {
    const rows = [good(81), { ...good(82), sfzh: '110105194912310021' }, good(83), { ...good(84), mm: 'zzz' }];
    const f = dir.file('rerun.csv', csv(rows, ['uid', 'xm', 'sfzh', 'mm']));
    const ofSource = () =>
      t.app.db
        .selectFrom('import_rejections as r')
        .innerJoin('import_jobs as j', 'j.id', 'r.job_id')
        .select(['r.job_id', 'r.row_number', 'r.code'])
        .where('j.source', '=', f)
        .where('j.status', '!=', 'dry_run')
        .orderBy('r.row_number')
        .execute();
    const first = await run('SJ', f, p({ on_error: 'skip' }));
    expect(first.rejections.map((x) => x.row)).toEqual([2, 4]);
    const second = await run('SJ', f, p({ on_error: 'skip' }));
    expect(second.counts).toMatchObject({ accounts_unchanged: 2, rejected: 2 });
    const third = await run('SJ', f, p({ on_error: 'skip' }));
    expect(third.rejections.map((x) => [x.row, x.code])).toEqual([
      [2, 'id_number.check_char'],
      [4, 'hash.shape'],
    ]);
    expect(await ofSource()).toEqual([
      { job_id: third.job_id, row_number: 2, code: 'id_number.check_char' },
      { job_id: third.job_id, row_number: 4, code: 'hash.shape' },
    ]);
  });

  it('rejects a legacy uid the source repeats, in the same batch and across batches', async () => {
    const rows = [good(61), { ...good(62), uid: 'b61' }, good(63), good(64), { ...good(65), uid: 'b63' }];
    const f = dir.file('dups.csv', csv(rows, ['uid', 'xm', 'sfzh', 'mm']));
    const r = await run('SJ', f, p({ on_error: 'skip', batch_size: 3 }));
    expect(r.rejections.map((x) => [x.row, x.code, x.reason.en])).toEqual([
      [2, 'legacy_uid.duplicate', expect.stringContaining('row 1')],
      [5, 'legacy_uid.duplicate', expect.stringContaining('row 3')],
    ]);
  });
});

describe('the old system’s account status (columns.status with status_map)', () => {
  it('imports disabled accounts as disabled links: they resolve nobody and their hash never counts; an unmapped status is rejected', async () => {
    const p = profile({
      source: { type: 'csv' },
      columns: { legacy_uid: 'uid', login_name: 'dlm', name: 'xm', id_number: 'sfzh', password_hash: 'mm', status: 'zt' },
      password: { scheme: 'md5' },
      status_map: { '0': 'active', '1': 'disabled' },
      on_error: 'skip',
    });
    const rows = [
      { uid: 'st1', dlm: 'zt-on', xm: '启用', sfzh: residentIdFor(6001), mm: hashes.md5('on-pw'), zt: '0' },
      { uid: 'st2', dlm: 'zt-off', xm: '停用', sfzh: residentIdFor(6002), mm: hashes.md5('off-pw'), zt: ' 1 ' },
      { uid: 'st3', dlm: 'zt-odd', xm: '未知', sfzh: residentIdFor(6003), mm: hashes.md5('odd-pw'), zt: '9' },
      // another person's disabled account under the same login name: the name stays unambiguous
      { uid: 'st4', dlm: 'zt-on', xm: '旧号', sfzh: residentIdFor(6004), mm: hashes.md5('old-pw'), zt: '1' },
    ];
    const r = await run('SJ', dir.file('status.csv', csv(rows, ['uid', 'dlm', 'xm', 'sfzh', 'mm', 'zt'])), p);
    expect(r.counts).toMatchObject({ accounts_linked: 3, rejected: 1 });
    expect(r.ambiguous_login_names).toBe(0);
    expect(r.rejections).toEqual([expect.objectContaining({ row: 3, code: 'status.unmapped', column: 'zt' })]);
    expect(r.rejections[0].reason.en).toContain('"9"');
    const links = await t.app.db.selectFrom('legacy_accounts').select(['legacy_uid', 'status', 'person_id']).where('job_id', '=', r.job_id).orderBy('legacy_uid').execute();
    expect(links.map((l) => [l.legacy_uid, l.status])).toEqual([
      ['st1', 'active'],
      ['st2', 'disabled'],
      ['st4', 'disabled'],
    ]);
    expect((await findPersonByLegacyLogin(t.app, 'SJ', 'zt-on'))?.id).toBe(links.find((l) => l.legacy_uid === 'st1')!.person_id);
    expect(await findPersonByLegacyLogin(t.app, 'SJ', 'zt-off')).toBeNull();
    const verify = legacyPasswordVerifier(t.app, async () => false);
    const personOf = async (uid: string) => openPerson(t.app.keyring, (await personStore.byId(t.app.db, links.find((l) => l.legacy_uid === uid)!.person_id))!);
    const off = await personOf('st2');
    expect(await activeLegacyHashes(t.app, off.sub)).toBe(0);
    expect(await verify(off, 'off-pw')).toBe(false);
    expect((await personStore.byId(t.app.db, off.id))!.password_hash).toBeNull();
    const on = await personOf('st1');
    expect(await verify(on, 'on-pw')).toBe(true);
  });
});

describe('resolve --swap: the queued row is the person of record', () => {
  it('renames the person after the queued row, links it, and keeps the earlier wrong-name links apart as an unverified account; audited', async () => {
    const p = profile({
      source: { type: 'csv' },
      columns: { legacy_uid: 'uid', login_name: 'dlm', name: 'xm', id_number: 'sfzh', password_hash: 'mm' },
      password: { scheme: 'md5' },
    });
    const id = residentIdFor(6101);
    const cols = ['uid', 'dlm', 'xm', 'sfzh', 'mm'];
    await run('SJ', dir.file('swap1.csv', csv([{ uid: 'sw1', dlm: 'sw-wrong', xm: '李错', sfzh: id, mm: hashes.md5('wrong-pw') }], cols)), p);
    const wrong = (await findPersonByLegacyLogin(t.app, 'SJ', 'sw-wrong'))!;
    expect(wrong).toMatchObject({ name: '李错', idNumber: id });
    const r = await run('GA', dir.file('swap2.csv', csv([{ uid: 'sw2', dlm: 'sw-right', xm: '李对', sfzh: id, mm: hashes.md5('right-pw') }], cols)), p);
    expect(r.counts.conflicts).toBe(1);

    const done = await resolveConflict(t.app, r.conflicts[0].id, 'swap', 'cli:reviewer');
    expect(done).toMatchObject({ status: 'swapped', department: 'GA', legacy_uid: 'sw2', sub: wrong.sub, kept_apart: { links: ['SJ/sw1'] } });
    // the person of record (sub and ID number unchanged) is the queued row's person now
    const right = (await findPersonByLegacyLogin(t.app, 'GA', 'sw-right'))!;
    expect(right).toMatchObject({ id: wrong.id, sub: wrong.sub, name: '李对', idNumber: id });
    // the earlier row is an account of its own: no ID number, lowest level, the number kept sealed for review
    const apart = (await findPersonByLegacyLogin(t.app, 'SJ', 'sw-wrong'))!;
    expect(apart).toMatchObject({ sub: done.kept_apart!.sub, name: '李错', idNumber: null, realNameLevel: 1 });
    const link = await t.app.db.selectFrom('legacy_accounts').selectAll().where('department_code', '=', 'SJ').where('legacy_uid', '=', 'sw1').executeTakeFirstOrThrow();
    expect(openUnverifiedId(t.app.keyring, 'SJ', 'sw1', link.id_number_unverified_enc!)).toBe(id);
    const verify = legacyPasswordVerifier(t.app, async () => false);
    expect(await activeLegacyHashes(t.app, right.sub)).toBe(1);
    expect(await activeLegacyHashes(t.app, apart.sub)).toBe(1);
    const conflict = await t.app.db.selectFrom('import_conflicts').selectAll().where('id', '=', done.conflict_id).executeTakeFirstOrThrow();
    expect(conflict).toMatchObject({ status: 'swapped', resolved_person_id: wrong.id, decided_by: 'cli:reviewer' });
    const audit = await t.app.audit.list({ event: 'import.conflict.resolve' });
    expect(audit[0]).toMatchObject({ actor: 'cli:reviewer', detail: expect.objectContaining({ decision: 'swapped', sub: wrong.sub, kept_apart_sub: apart.sub, moved_links: ['SJ/sw1'] }) });

    // once the person of record has signed in, its sub is in use: no swap
    const r2 = await run('WJ', dir.file('swap3.csv', csv([{ uid: 'sw3', dlm: 'sw-third', xm: '李三', sfzh: id, mm: hashes.md5('third-pw') }], cols)), p);
    expect(await verify(right, 'right-pw')).toBe(true);
    await expect(resolveConflict(t.app, r2.conflicts[0].id, 'swap', 'cli:reviewer')).rejects.toMatchObject({ code: 'import.swap_signed_in' });
    expect((await findPersonByLegacyLogin(t.app, 'GA', 'sw-right'))!.name).toBe('李对');
  });
});
