import { describe, expect, it } from 'vitest';
import { idCheckChar, idNumberFacts, parseIdNumber } from '../../src/identity/id-number.ts';
import { parseUscc, usccCheckChar } from '../../src/identity/uscc.ts';
import { parseEmail, parseMobile } from '../../src/identity/contact.ts';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '../../src/identity/mask.ts';

describe('resident ID number (GB 11643-1999)', () => {
  it('accepts the design samples', () => {
    expect(parseIdNumber('11010519491231002X')).toEqual({ ok: true, value: '11010519491231002X', upgraded: false });
    expect(parseIdNumber('440524188001010014')).toEqual({ ok: true, value: '440524188001010014', upgraded: false });
  });

  it('computes the MOD 11-2 check character', () => {
    expect(idCheckChar('11010519491231002')).toBe('X');
    expect(idCheckChar('44052418800101001')).toBe('4');
  });

  it('normalises full-width digits, spaces and a lower-case x', () => {
    expect(parseIdNumber('１１０１０５１９４９１２３１００２ｘ')).toMatchObject({ ok: true, value: '11010519491231002X' });
    expect(parseIdNumber(' 110105 19491231 002x ')).toMatchObject({ ok: true, value: '11010519491231002X' });
  });

  it('upgrades a 15-digit number by inserting 19 and computing the check character', () => {
    expect(parseIdNumber('110105491231002')).toEqual({ ok: true, value: '11010519491231002X', upgraded: true });
  });

  it('rejects, never fixes, a wrong check character', () => {
    expect(parseIdNumber('110105194912310021')).toEqual({ ok: false, error: 'id_number.check_char' });
  });

  it('rejects floating-point mangled values from spreadsheets', () => {
    expect(parseIdNumber('1.10105E+17')).toEqual({ ok: false, error: 'id_number.float_mangled' });
    expect(parseIdNumber('110105194912310000.0')).toEqual({ ok: false, error: 'id_number.float_mangled' });
  });

  it('rejects bad lengths, characters, and impossible birth dates', () => {
    expect(parseIdNumber('')).toEqual({ ok: false, error: 'id_number.empty' });
    expect(parseIdNumber(null)).toEqual({ ok: false, error: 'id_number.empty' });
    expect(parseIdNumber('1101051949123100')).toEqual({ ok: false, error: 'id_number.length' });
    expect(parseIdNumber('11010519491231A02X')).toEqual({ ok: false, error: 'id_number.charset' });
    const feb30 = '11010519490230001';
    expect(parseIdNumber(feb30 + idCheckChar(feb30))).toEqual({ ok: false, error: 'id_number.birthdate' });
    const future = '11010530001231001';
    expect(parseIdNumber(future + idCheckChar(future))).toEqual({ ok: false, error: 'id_number.birthdate' });
  });

  it('derives birth date and gender', () => {
    expect(idNumberFacts('11010519491231002X')).toEqual({ birthdate: '1949-12-31', gender: 'female' });
    expect(idNumberFacts('440524188001010014')).toEqual({ birthdate: '1880-01-01', gender: 'male' });
  });
});

describe('unified social credit code (GB 32100-2015)', () => {
  it('accepts the design samples and exposes the organisation code', () => {
    expect(parseUscc('91350100M000100Y43')).toEqual({ ok: true, value: '91350100M000100Y43', orgCode: 'M000100Y4' });
    expect(parseUscc('91310115ma1fl00079')).toMatchObject({ ok: true, value: '91310115MA1FL00079' });
  });
  it('computes the MOD 31 check character', () => {
    expect(usccCheckChar('91350100M000100Y4')).toBe('3');
    expect(usccCheckChar('91310115MA1FL0007')).toBe('9');
  });
  it('rejects wrong check characters, forbidden letters and lengths', () => {
    expect(parseUscc('91350100M000100Y44')).toEqual({ ok: false, error: 'uscc.check_char' });
    expect(parseUscc('91350100M000100I43')).toEqual({ ok: false, error: 'uscc.charset' });
    expect(parseUscc('91350100M000100Y4')).toEqual({ ok: false, error: 'uscc.length' });
    expect(parseUscc(' ')).toEqual({ ok: false, error: 'uscc.empty' });
  });
});

describe('contact data', () => {
  it('normalises mainland mobile numbers', () => {
    for (const raw of ['13800138000', '+86 138 0013 8000', '008613800138000', '１３８００１３８０００', '138-0013-8000']) {
      expect(parseMobile(raw)).toEqual({ ok: true, value: '13800138000' });
    }
    for (const raw of ['12800138000', '1380013800', '+1 13800138000', '']) expect(parseMobile(raw).ok).toBe(false);
  });
  it('normalises e-mail addresses', () => {
    expect(parseEmail(' Zhang@Example.CN ')).toEqual({ ok: true, value: 'zhang@example.cn' });
    expect(parseEmail('no-at-sign').ok).toBe(false);
  });
});

describe('masking', () => {
  it('masks per the design (ID 110105********002X, phone 138****8000)', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
    expect(maskPhone('13800138000')).toBe('138****8000');
    expect(maskEmail('zhang@example.cn')).toBe('z***@example.cn');
    expect(maskName('张三丰')).toBe('张**');
  });
});
