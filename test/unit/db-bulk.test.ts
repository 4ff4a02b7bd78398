import { describe, expect, it } from 'vitest';
import { copyLine, rowLayout } from '../../src/db/bulk.ts';

describe('bulk rows', () => {
  it('refuses a row layout whose values are out of step with its columns', () => {
    const columns = ['a', 'b'] as const;
    expect(rowLayout(columns, (r: { a: string; b: number }) => [r.a, r.b]).columns).toEqual(['a', 'b']);
    expect(() => rowLayout(columns, (r: { a: string; b: number }) => [r.b, r.a])).toThrow(/out of step/);
    expect(() => rowLayout(columns, (r: { a: string; b: number }) => [r.a])).toThrow(/out of step/);
  });

  it('writes COPY text: NULL as \\N, escapes, dates as ISO, JSON for objects', () => {
    expect(copyLine(['x\ty\\z\n', null, undefined, 3, new Date('2024-01-02T03:04:05Z'), { k: 1 }])).toBe(
      'x\\ty\\\\z\\n\t\\N\t\\N\t3\t2024-01-02T03:04:05.000Z\t{"k":1}\n',
    );
  });
});
