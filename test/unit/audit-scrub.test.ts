import { describe, expect, it } from 'vitest';
import { scrubDetail, scrubText } from '../../src/audit/scrub.ts';

describe('scrubText', () => {
  it('masks 18-char and 15-digit ID numbers, including full-width digits and lower-case x', () => {
    expect(scrubText('id 11010519491231002X')).toBe('id 110105********002X');
    expect(scrubText('id 11010519491231002x')).toBe('id 110105********002X');
    expect(scrubText('４４０５２４１８８００１０１００１４')).toBe('440524********0014');
    expect(scrubText('old 110105491231002')).toBe('old 110105*****1002');
    expect(scrubText('130102199001011234 130102900101123')).toBe('130102********1234 130102*****1123');
    expect(scrubText('身份证号:440524188001010014。')).toBe('身份证号:440524********0014。');
  });

  it('masks mobile numbers in their usual spellings', () => {
    expect(scrubText('13812348000')).toBe('138****8000');
    expect(scrubText('tel +86 138 1234 8000 ok')).toBe('tel 138****8000 ok');
    expect(scrubText('008613812348000')).toBe('138****8000');
    expect(scrubText('138-1234-8000')).toBe('138****8000');
    expect(scrubText('手机13812348000')).toBe('手机138****8000');
  });

  it('leaves ordinary values alone', () => {
    for (const s of ['login.success', '10.0.0.1', '2001:db8::1', 'a'.repeat(40), '1700000000000', '12345', 'client-13812348000abc', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']) {
      expect(scrubText(s)).toBe(s);
    }
  });

  it('drops NUL and lone surrogates, and bounds the length', () => {
    expect(scrubText('a\u0000b\ud800c')).toBe('ab\ufffdc');
    expect(scrubText('x'.repeat(5000)).length).toBe(2001);
  });
});

describe('scrubDetail', () => {
  it('masks nested strings, keys, arrays and numbers, and redacts secrets', () => {
    expect(
      scrubDetail({
        who: { idNumber: '11010519491231002X', phones: ['13812348000', 'none'] },
        '13812348000': 'key',
        n: 13812348000,
        f: 110105194912310020,
        count: 3,
        ok: true,
        password: 'hunter2',
        new_password: 'x',
        client_secret: 's3cr3t',
        otp: 123456,
        password_changed: true,
      }),
    ).toEqual({
      who: { idNumber: '110105********002X', phones: ['138****8000', 'none'] },
      '138****8000': 'key',
      n: '138****8000',
      f: '110105********0020',
      count: 3,
      ok: true,
      password: '[redacted]',
      new_password: '[redacted]',
      client_secret: '[redacted]',
      otp: '[redacted]',
      password_changed: true,
    });
  });

  it('returns plain JSON that survives a jsonb round trip unchanged', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    expect(scrubDetail({ at, u: undefined, nan: Number.NaN, arr: [undefined, 1] })).toEqual({ at: '2025-01-01T00:00:00.000Z', nan: null, arr: [null, 1] });
    expect(scrubDetail(undefined)).toEqual({});
  });

  it('never throws', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(scrubDetail(cyclic)).toEqual({ detail_error: 'unserialisable' });
    expect(scrubDetail({ big: 10n } as unknown as Record<string, unknown>)).toEqual({ detail_error: 'unserialisable' });
    expect(scrubDetail({ blob: 'y'.repeat(1900), more: Array.from({ length: 20 }, () => 'z'.repeat(1900)) })).toMatchObject({ detail_error: 'too_large' });
  });
});
