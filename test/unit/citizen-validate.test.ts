// Field checks of the citizen forms and the common-password list.
import { describe, expect, it } from 'vitest';
import { checkCode, checkIdentifier, checkName, checkNewPassword, checkPhone } from '../../src/citizen/validate.ts';
import { weakPasswordError } from '../../src/crypto/common-passwords.ts';

const msg = (r: { ok: boolean; msg?: { key: string } }) => (r.ok ? 'ok' : r.msg!.key);

describe('citizen form fields', () => {
  it('names: letters of any script and the middle dot of minority names; no digits or markup', () => {
    expect(checkName('  张三 ')).toEqual({ ok: true, value: '张三' });
    expect(checkName('迪丽热巴·迪力木拉提').ok).toBe(true);
    expect(checkName('Zhang  San').ok && checkName('Zhang  San')).toEqual({ ok: true, value: 'Zhang San' });
    expect(msg(checkName(''))).toBe('name.empty');
    for (const bad of ['张3', '<b>', '·', 'x'.repeat(65), '李四;drop']) expect(msg(checkName(bad))).toBe('name.invalid');
  });

  it('phones and codes: +86, spaces and full-width digits normalised; a field message otherwise', () => {
    expect(checkPhone('+86 138-0013-8000')).toEqual({ ok: true, value: '13800138000' });
    expect(checkPhone('１３８００１３８０００')).toEqual({ ok: true, value: '13800138000' });
    expect(msg(checkPhone(''))).toBe('phone.empty');
    expect(msg(checkPhone('12800138000'))).toBe('phone.invalid');
    expect(checkCode(' ０４２ ９１７ ')).toEqual({ ok: true, value: '042917' });
    expect(msg(checkCode(''))).toBe('code.missing');
    for (const bad of ['12345', '1234567', 'abcdef', '12 34 5']) expect(msg(checkCode(bad))).toBe('code.format');
  });

  it('recovery identifiers: ID number (15 digits upgraded), mobile, e-mail, DEPARTMENT/login; the ID number’s own message for a near miss', () => {
    expect(checkIdentifier('11010519491231002x')).toEqual({ ok: true, value: '11010519491231002X' });
    expect(checkIdentifier('440524800101001')).toMatchObject({ ok: true });
    expect(checkIdentifier('+8613800138000')).toEqual({ ok: true, value: '13800138000' });
    expect(checkIdentifier('Zhang@Example.CN')).toEqual({ ok: true, value: 'zhang@example.cn' });
    expect(checkIdentifier('GA/zhangsan')).toEqual({ ok: true, value: 'GA/zhangsan' });
    expect(msg(checkIdentifier('110105194912310021'))).toBe('id_number.check_char');
    expect(msg(checkIdentifier('hello'))).toBe('identifier.invalid');
    expect(msg(checkIdentifier(' '))).toBe('identifier.empty');
  });

  it('new passwords: the policy, then common passwords and the person’s own numbers', () => {
    expect(msg(checkNewPassword(''))).toBe('password.empty');
    expect(msg(checkNewPassword('short1A'))).toBe('password.too_short');
    expect(msg(checkNewPassword('alllowercase'))).toBe('password.too_simple');
    for (const common of ['P@ssw0rd', 'Password@123', 'Aa123456', 'Aa123456!', '1qaz@WSX', 'Woaini1314!', 'Qwer!2345', 'Admin@123']) {
      expect(msg(checkNewPassword(common)), common).toBe('password.common');
    }
    expect(msg(checkNewPassword('Ab!13800138000', { phone: '13800138000' }))).toBe('password.personal');
    expect(msg(checkNewPassword('Zz!19491231ab', { idNumber: '11010519491231002X' }))).toBe('password.personal');
    for (const good of ['Hz-7Lq!xPw', 'Tr0ub4dor&3', 'S3cret!pass', '青山Blue#7水']) expect(checkNewPassword(good).ok, good).toBe(true);
    expect(weakPasswordError('Xy#9kq2!7')).toBeNull();
  });
});
