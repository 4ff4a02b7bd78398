import { describe, expect, it } from 'vitest';
import { firstSupportedLocale } from '../../src/i18n/messages.ts';

describe('ui_locales: the first language the pages speak', () => {
  it('maps English and simplified Chinese tags in any case or region', () => {
    expect(firstSupportedLocale('en')).toBe('en');
    expect(firstSupportedLocale('en-US')).toBe('en');
    expect(firstSupportedLocale('EN-gb')).toBe('en');
    expect(firstSupportedLocale('zh')).toBe('zh-CN');
    expect(firstSupportedLocale('zh-cn')).toBe('zh-CN');
    expect(firstSupportedLocale('zh-Hans')).toBe('zh-CN');
    expect(firstSupportedLocale('zh-Hans-CN')).toBe('zh-CN');
    expect(firstSupportedLocale('zh-SG')).toBe('zh-CN');
  });

  it('takes the first supported one of a space-separated list, skipping the others', () => {
    expect(firstSupportedLocale('fr-CA fr en')).toBe('en');
    expect(firstSupportedLocale('zh-TW ja zh-CN en')).toBe('zh-CN');
    expect(firstSupportedLocale('  de\t en  ')).toBe('en');
    expect(firstSupportedLocale('english')).toBeUndefined();
    expect(firstSupportedLocale('zh-Hant zh-HK')).toBeUndefined();
  });

  it('ignores what is not a list', () => {
    expect(firstSupportedLocale(undefined)).toBeUndefined();
    expect(firstSupportedLocale('')).toBeUndefined();
    expect(firstSupportedLocale(['en'])).toBeUndefined();
  });
});
