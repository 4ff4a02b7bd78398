import { describe, expect, it } from 'vitest';
import { formatDay, formatTime } from '../../src/i18n/time.ts';

describe('dates people read (Beijing time)', () => {
  it('formats a Date and the ISO string the admin API answers with alike', () => {
    const at = new Date('2026-02-28T16:05:09.123Z'); // 2026-03-01 00:05:09 in Beijing
    expect(formatTime(at)).toBe('2026-03-01 00:05');
    expect(formatTime(at.toISOString())).toBe('2026-03-01 00:05');
    expect(formatTime(at.toISOString(), true)).toBe('2026-03-01 00:05:09');
    expect(formatDay(at.toISOString())).toBe('2026-03-01');
  });

  it('gives null for nothing or for text that is not a date, never "Invalid Date"', () => {
    expect(formatTime(null)).toBeNull();
    expect(formatTime(undefined)).toBeNull();
    expect(formatTime('')).toBeNull();
    expect(formatTime('not a date')).toBeNull();
    expect(formatDay(null)).toBeNull();
  });
});
