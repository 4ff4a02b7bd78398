import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createNormaliser, normaliseName, type NormaliseResult } from '../../../src/legacy/normalise.ts';
import { loadProfile, parseProfile, type ImportProfile } from '../../../src/legacy/profile.ts';
import { openReader } from '../../../src/legacy/readers/index.ts';
import { verifyLegacyHash } from '../../../src/legacy/schemes/index.ts';
import { collect } from './tmp-files.ts';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/legacy');

function profileOf(overrides: Record<string, unknown> = {}): ImportProfile {
  const r = parseProfile({
    source: { type: 'jsonl' },
    columns: { legacy_uid: 'yhid', login_name: 'dlm', name: 'xm', id_type: 'zjlx', id_number: 'sfzh', phone: 'sjhm', email: 'dzyx', uscc: 'tyshxydm', org_name: 'dwmc', password_hash: 'mm', salt: 'salt' },
    password: { scheme: 'md5', params: { salt_position: 'after' } },
    ...overrides,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.profile;
}

const base = { yhid: '42', dlm: 'zhangsan', xm: '张三', sfzh: '11010519491231002X', mm: '31564f3b3d09a8ffadeea50a4ecc77b5', salt: 'a1b2c3' };

function run(fields: Record<string, string>, overrides: Record<string, unknown> = {}): NormaliseResult {
  return createNormaliser(profileOf(overrides))({ ...base, ...fields });
}

function ok(result: NormaliseResult) {
  if (!result.ok) throw new Error(`rejected: ${result.code}`);
  return result;
}

describe('normalise: identity numbers', () => {
  it.each([
    ['11010519491231002X', '11010519491231002X'],
    ['11010519491231002x', '11010519491231002X'],
    ['１１０１０５１９４９１２３１００２Ｘ', '11010519491231002X'],
    [' 110105 19491231 002X ', '11010519491231002X'],
    ['440524188001010014', '440524188001010014'],
  ])('accepts %j as %s', (raw, expected) => {
    const r = ok(run({ sfzh: raw }));
    expect(r.row).toMatchObject({ idType: 'resident_id', idNumber: expected, idValid: true, idNumberUnverified: null });
    expect(r.warnings).toEqual([]);
  });

  it('upgrades a 15-digit number and says so', () => {
    const r = ok(run({ sfzh: '440524800101001' }));
    expect(r.row.idNumber).toBe('440524198001010013');
    expect(r.warnings.map((w) => w.code)).toEqual(['id_number.upgraded']);
  });

  it.each([
    ['11010519491231002Y', 'id_number.charset'],
    ['110105194912310021', 'id_number.check_char'],
    ['1.10105E+17', 'id_number.float_mangled'],
    ['110105194912310000.0', 'id_number.float_mangled'],
    ['', 'id_number.empty'],
    ['\\N', 'id_number.empty'],
    ['1101051949123100', 'id_number.length'],
  ])('rejects %j with %s under on_invalid_id=reject', (raw, code) => {
    const r = run({ sfzh: raw });
    expect(r).toEqual({ ok: false, code, message: expect.objectContaining({ zh: expect.any(String), en: expect.any(String) }), column: 'sfzh' });
  });

  it('keeps an invalid number unverified under import_unverified, never corrected', () => {
    const r = ok(run({ sfzh: '11010519491231002１' }, { on_invalid_id: 'import_unverified' }));
    expect(r.row).toMatchObject({ idNumber: null, idValid: false, idNumberUnverified: '110105194912310021' });
    expect(r.warnings).toEqual([
      { code: 'id_number.unverified', column: 'sfzh', message: expect.objectContaining({ en: expect.stringContaining('id_number.check_char') }) },
    ]);
    const missing = ok(run({ sfzh: '' }, { on_invalid_id: 'import_unverified' }));
    expect(missing.row).toMatchObject({ idNumber: null, idValid: false, idNumberUnverified: null });
  });

  it('maps document types, built in and from the profile', () => {
    expect(ok(run({ zjlx: '护照', sfzh: 'e 1234 5678' })).row).toMatchObject({ idType: 'passport', idNumber: 'E12345678', idValid: true });
    expect(ok(run({ zjlx: '01' }, { id_type_map: { '01': 'resident_id' } })).row.idType).toBe('resident_id');
    expect(ok(run({ zjlx: '' })).row.idType).toBe('resident_id');
    expect(run({ zjlx: '军官证' })).toMatchObject({ ok: false, code: 'id_type.unknown', column: 'zjlx' });
    expect(run({ zjlx: 'passport', sfzh: 'E-123' })).toMatchObject({ ok: false, code: 'id_number.charset' });
  });
});

describe('normalise: contact data is not identity', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['0086-138-0013-8000', '13800138000'],
    ['１３８００１３８０００', '13800138000'],
  ])('cleans phone %j', (raw, expected) => {
    expect(ok(run({ sjhm: raw })).row.phone).toBe(expected);
  });

  it('drops an invalid phone or e-mail with a warning, keeping the row', () => {
    const r = ok(run({ sjhm: '010-12345678', dzyx: 'not-an-email' }));
    expect(r.row).toMatchObject({ phone: null, email: null, idNumber: '11010519491231002X' });
    expect(r.warnings.map((w) => [w.code, w.column])).toEqual([
      ['phone.invalid', 'sjhm'],
      ['email.invalid', 'dzyx'],
    ]);
  });

  it('treats NULL markers as no value, without warnings', () => {
    const r = ok(run({ sjhm: 'NULL', dzyx: '\\N' }));
    expect(r.row).toMatchObject({ phone: null, email: null });
    expect(r.warnings).toEqual([]);
  });

  it('lower-cases e-mail', () => {
    expect(ok(run({ dzyx: ' WangWu@Example.CN ' })).row.email).toBe('wangwu@example.cn');
  });
});

describe('normalise: names, ids and organisations', () => {
  it.each([
    ['张三', '张三'],
    [' 张 三 ', '张三'],
    ['阿依古丽 • 买买提', '阿依古丽·买买提'],
    ['阿依古丽・买买提', '阿依古丽·买买提'],
    ['阿依古丽.买买提', '阿依古丽·买买提'],
    ['John  Smith', 'John Smith'],
    ['Ｊｏｈｎ', 'John'],
  ])('normalises name %j', (raw, expected) => {
    expect(normaliseName(raw)).toBe(expected);
  });

  it('warns about an empty name and rejects an absurdly long one', () => {
    expect(ok(run({ xm: '' })).warnings.map((w) => w.code)).toEqual(['name.empty']);
    expect(run({ xm: '张'.repeat(65) })).toMatchObject({ ok: false, code: 'name.too_long', column: 'xm' });
  });

  it('rejects a row without a legacy user id', () => {
    expect(run({ yhid: '  ' })).toMatchObject({ ok: false, code: 'legacy_uid.empty', column: 'yhid', message: { en: 'the legacy user id is empty' } });
    expect(ok(run({ yhid: ' 007 ' })).row.legacyUid).toBe('007');
  });

  it('validates the USCC and keeps the official organisation name', () => {
    const r = ok(run({ tyshxydm: '91310115ma1fl00079', dwmc: '上海某某有限公司（浦东分公司）' }));
    expect(r.row).toMatchObject({ uscc: '91310115MA1FL00079', orgName: '上海某某有限公司（浦东分公司）' });
    expect(run({ tyshxydm: '91350100M000100Y44' })).toMatchObject({ ok: false, code: 'uscc.check_char', column: 'tyshxydm' });
    expect(ok(run({ dwmc: '某单位' })).warnings.map((w) => w.code)).toEqual(['org.uscc_missing']);
  });
});

describe('normalise: password hashes', () => {
  it('stores the hash with its scheme, explicit parameters and salt', () => {
    expect(ok(run({})).row.password).toEqual({
      scheme: 'md5',
      hash: '31564f3b3d09a8ffadeea50a4ecc77b5',
      salt: 'a1b2c3',
      params: { salt_position: 'after', encoding: 'hex', salt_encoding: 'utf8', iterations: 1 },
      loginName: null,
    });
  });

  it('rejects a hash that does not match the declared scheme', () => {
    const r = run({ mm: '$2a$10$7JB720yubVSZvUI0rEqK/.VqGOZTH.ulu33dHOiBE8ByOhJIrdAu2' });
    expect(r).toEqual({
      ok: false,
      code: 'hash.shape',
      column: 'mm',
      message: { zh: '密码哈希的格式与声明的算法“md5”不符', en: 'the password hash does not look like output of the declared scheme "md5"' },
    });
    expect(run({ mm: '47b7bfb65fa83ac9a71dcb0f6296bb6e' }, { password: { scheme: 'bcrypt' } })).toMatchObject({ ok: false, code: 'hash.shape' });
  });

  it('trims padding from hashes', () => {
    expect(ok(run({ mm: ' 31564f3b3d09a8ffadeea50a4ecc77b5   ' })).row.password?.hash).toBe('31564f3b3d09a8ffadeea50a4ecc77b5');
  });

  it('rejects a row missing the salt or login name its scheme hashes', () => {
    expect(run({ salt: '' })).toMatchObject({ ok: false, code: 'hash.salt_missing', column: 'salt' });
    expect(run({ dlm: '', mm: '29c67a30398638269fe600f73a054934', salt: '111111' }, { password: { scheme: 'ruoyi-md5' } })).toMatchObject({
      ok: false,
      code: 'hash.login_name_missing',
      column: 'dlm',
    });
  });

  it('keeps an account without a hash, with a warning', () => {
    const r = ok(run({ mm: '' }));
    expect(r.row.password).toBeNull();
    expect(r.warnings.map((w) => w.code)).toEqual(['password.empty']);
  });

  it('keeps a plaintext password byte for byte', () => {
    expect(ok(run({ mm: ' s3cret ' }, { password: { scheme: 'plaintext' } })).row.password).toMatchObject({ scheme: 'plaintext', hash: ' s3cret ', salt: null });
  });

  it('leaves out of the stored hash what the scheme does not use', () => {
    const r = ok(run({ mm: '47b7bfb65fa83ac9a71dcb0f6296bb6e' }, { password: { scheme: 'md5' } }));
    expect(r.row.password).toMatchObject({ salt: null, loginName: null });
  });
});

describe('normalise: the GBK fixture end to end (reader + profile + schemes)', () => {
  async function rows(overrides: Partial<ImportProfile> = {}) {
    const loaded = await loadProfile(path.join(FIXTURES, 'renshe-profile.json'));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    const profile = { ...loaded.profile, ...overrides };
    const normalise = createNormaliser(profile);
    const { items, error } = await collect(openReader(profile, { file: path.join(FIXTURES, 'renshe-gbk.csv') }));
    expect(error).toBeUndefined();
    return items.map((item) => (item.ok ? normalise(item.fields) : item));
  }

  it('normalises, flags and rejects each row as the rules say', async () => {
    const out = await rows();
    const summary = out.map((r) => ('row' in r ? [r.row.legacyUid, r.row.idNumber, r.row.idValid, r.warnings.map((w) => w.code)] : [r.code, 'column' in r ? r.column : null]));
    expect(summary).toEqual([
      ['1001', '11010519491231002X', true, []],
      ['1002', '440524198001010013', true, ['id_number.upgraded']],
      ['1003', '110105199003074413', true, []],
      ['1004', null, false, ['id_number.unverified', 'phone.invalid', 'email.invalid']],
      ['1005', 'E12345678', true, []],
      ['1006', null, false, ['id_number.unverified']],
      ['hash.shape', 'mm'],
    ]);
    const ok2 = out[1];
    expect(ok2.ok && ok2.row).toMatchObject({ name: '李四', phone: '13900139000', uscc: '91350100M000100Y43', orgName: '福州市某某科技有限公司', idType: 'resident_id' });
    const ok3 = out[2];
    expect(ok3.ok && ok3.row).toMatchObject({ phone: '13700137000', email: 'wangwu@example.cn' });
    const ok5 = out[4];
    expect(ok5.ok && ok5.row).toMatchObject({ name: '阿依古丽·买买提', idType: 'passport' });
  });

  it('yields stored hashes that verify with the legacy passwords', async () => {
    const out = await rows();
    const passwords: Record<string, string> = { '1001': 'Passw0rd!', '1002': 'Lisi@2019', '1003': 'Wangwu#1', '1004': 'Zhao!liu9', '1005': 'Ayg@2020', '1006': 'Sun7&qi' };
    for (const r of out) {
      if (!r.ok || !('row' in r)) continue;
      const stored = r.row.password!;
      await expect(verifyLegacyHash(passwords[r.row.legacyUid], stored)).resolves.toBe(true);
      await expect(verifyLegacyHash(passwords[r.row.legacyUid] + '!', stored)).resolves.toBe(false);
    }
  });

  it('rejects invalid IDs when the profile says so', async () => {
    const out = await rows({ on_invalid_id: 'reject' });
    expect(out.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ok', 'ok', 'id_number.float_mangled', 'ok', 'id_number.check_char', 'hash.shape']);
  });
});
