import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/legacy/profile.ts';
import { openJsonlReader, openReader, ReaderError, type RecordReader } from '../../../src/legacy/readers/index.ts';
import { collect, tempDir } from './tmp-files.ts';

const write = tempDir();
const reader = (file: string, maxRecordChars?: number) => openJsonlReader({ file, requiredColumns: [{ field: 'legacy_uid', column: 'id' }], maxRecordChars });

describe('JSON Lines reader', () => {
  it('reads objects, keeping exact number text and skipping blank lines', async () => {
    const file = write(
      'users.jsonl',
      '\uFEFF{"id": 1, "xm": "张三", "sfzh": 110105194912310012, "phone": null, "tags": ["a"], "active": true}\r\n\n' + '{"id": "2", "xm": "李四"}',
    );
    const { items, error } = await collect(reader(file));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      // 110105194912310012 is beyond 2^53: as a double it would read 110105194912310020.
      { ok: true, rowNumber: 1, line: 1, fields: { id: '1', xm: '张三', sfzh: '110105194912310012', tags: '["a"]', active: 'true' } },
      { ok: true, rowNumber: 2, line: 3, fields: { id: '2', xm: '李四' } },
    ]);
  });

  it('reports a bad line and keeps reading', async () => {
    const { items, error } = await collect(reader(write('bad.jsonl', '{"id": 1}\n{"id": 2,}\n[1, 2]\n{"id": 4}\n')));
    expect(error).toBeUndefined();
    expect(items.map((i) => (i.ok ? i.fields.id : i.code))).toEqual(['1', 'jsonl.invalid_json', 'jsonl.not_object', '4']);
    expect(items[1]).toMatchObject({ rowNumber: 2, line: 2, message: { en: 'the line is not valid JSON' } });
  });

  it('stops on a truncated last line', async () => {
    const file = write('cut.jsonl', '{"id": 1}\n{"id": 2, "xm": "李');
    const { items, error } = await collect(reader(file));
    expect(items).toHaveLength(1);
    expect(error).toBeInstanceOf(ReaderError);
    expect((error as ReaderError).code).toBe('jsonl.truncated');
    expect((error as ReaderError).location).toEqual({ file, rowNumber: 2, line: 2 });
  });

  it('pins an invalid UTF-8 byte to row, line and offset', async () => {
    const head = Buffer.from('{"id": 1}\n{"id": 2, "xm": "', 'utf8');
    const file = write('gbk.jsonl', Buffer.concat([head, Buffer.from([0xd5, 0xc5, 0x22, 0x7d, 0x0a])]));
    const { items, error } = await collect(reader(file));
    expect(items).toHaveLength(1);
    expect((error as ReaderError).location).toEqual({ file, rowNumber: 2, line: 2, byteOffset: head.length });
  });

  it('bounds the length of a line', async () => {
    const { error } = await collect(reader(write('long.jsonl', `{"id": "${'x'.repeat(300_000)}"}\n`), 1000));
    expect(error).toMatchObject({ code: 'jsonl.line_too_long' });
  });
});

describe('openReader', () => {
  const profile = (source: unknown) => {
    const r = parseProfile({ source, columns: { legacy_uid: 'id', id_number: 'sfzh' } });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.profile;
  };

  it('opens the reader for the profile source', async () => {
    const csv = openReader(profile({ type: 'csv' }), { file: write('a.csv', 'id,sfzh\n7,x\n') });
    expect((await collect(csv)).items).toEqual([{ ok: true, rowNumber: 1, line: 2, fields: { id: '7', sfzh: 'x' } }]);
    const jsonl = openReader(profile({ type: 'jsonl' }), { file: write('a.jsonl', '{"id":7}\n') });
    expect((await collect(jsonl)).items).toHaveLength(1);
  });

  it('passes the required columns to the CSV header check', async () => {
    const { error } = await collect(openReader(profile({ type: 'csv' }), { file: write('b.csv', 'id\n7\n') }));
    expect(error).toMatchObject({ code: 'csv.missing_column' });
  });

  it('delegates SQL sources to the supplied factory, and refuses them without one', () => {
    const p = profile({ type: 'sql', url: 'postgres://ro@db/hr', query: 'select * from users' });
    expect(() => openReader(p, {})).toThrow(ReaderError);
    const fake: RecordReader = { source: 'postgres://db/hr', meta: {}, async *[Symbol.asyncIterator]() {} };
    let seen: unknown;
    const r = openReader(p, {
      sql: (source, options) => {
        seen = { source, columns: options.requiredColumns.map((c) => c.column) };
        return fake;
      },
    });
    expect(r).toBe(fake);
    expect(seen).toEqual({ source: { type: 'sql', url: 'postgres://ro@db/hr', query: 'select * from users' }, columns: ['id', 'sfzh'] });
  });
});
