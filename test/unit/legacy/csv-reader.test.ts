import path from 'node:path';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { openCsvReader, ReaderError, type RawRecord, type ReaderItem, type RequiredColumn } from '../../../src/legacy/readers/index.ts';
import { collect, tempDir } from './tmp-files.ts';

const write = tempDir();
const FIXTURE = path.join(import.meta.dirname, '../../fixtures/legacy/renshe-gbk.csv');

const required: RequiredColumn[] = [
  { field: 'legacy_uid', column: 'yhid' },
  { field: 'name', column: 'xm' },
];

const HEADER = 'yhid,xm,sfzh\n';

function reader(file: string, encoding: 'auto' | 'utf-8' | 'gbk' | 'gb18030' = 'auto', extra: { delimiter?: string; maxRecordChars?: number; requiredColumns?: RequiredColumn[] } = {}) {
  return openCsvReader({ file, encoding, requiredColumns: extra.requiredColumns ?? required, delimiter: extra.delimiter, maxRecordChars: extra.maxRecordChars });
}

const records = (items: ReaderItem[]) => items.filter((i): i is RawRecord => i.ok);

describe('CSV reader: encodings', () => {
  it('reads plain UTF-8 with quoted fields, embedded newlines, CRLF and blank lines', async () => {
    const file = write('utf8.csv', 'yhid,xm,bz\r\n1,张三,"说明, 含逗号"\r\n\r\n2,"李""四""","两行\r\n备注"\r\n3,王五,\r\n');
    const r = reader(file);
    const { items, error } = await collect(r);
    expect(error).toBeUndefined();
    expect(r.meta).toEqual({ encoding: 'utf-8', columns: ['yhid', 'xm', 'bz'], bytesRead: 88 });
    expect(items).toEqual([
      { ok: true, rowNumber: 1, line: 2, fields: { yhid: '1', xm: '张三', bz: '说明, 含逗号' } },
      { ok: true, rowNumber: 2, line: 4, fields: { yhid: '2', xm: '李"四"', bz: '两行\r\n备注' } },
      { ok: true, rowNumber: 3, line: 6, fields: { yhid: '3', xm: '王五', bz: '' } },
    ]);
  });

  it('strips a UTF-8 byte order mark from the first column name', async () => {
    const file = write('bom.csv', '\uFEFFyhid,xm\n1,张三\n');
    const r = reader(file);
    const { items, error } = await collect(r);
    expect(error).toBeUndefined();
    expect(r.meta.columns).toEqual(['yhid', 'xm']);
    expect(records(items)[0].fields).toEqual({ yhid: '1', xm: '张三' });
  });

  it('detects GBK without a BOM (the committed fixture, encoded by Python)', async () => {
    const r = reader(FIXTURE, 'auto', { requiredColumns: [{ field: 'legacy_uid', column: 'yhid' }, { field: 'org_name', column: 'dwmc' }] });
    const { items, error } = await collect(r);
    expect(error).toBeUndefined();
    expect(r.meta.encoding).toBe('gb18030');
    const rows = records(items);
    expect(rows).toHaveLength(7);
    expect(rows.map((x) => x.fields.xm)).toEqual(['张三', '李四', '王五', '赵六', '阿依古丽·买买提', '孙七', '周八']);
    expect(rows[1].fields.dwmc).toBe('福州市某某科技有限公司');
    expect(rows[2].fields.sfzh).toBe('１１０１０５１９９００３０７４４１３');
  });

  it('reads a declared GBK file larger than one chunk, characters split across chunk boundaries', async () => {
    const names = ['张三', '李四', '欧阳娜娜', '阿依古丽·买买提', '𠮷田'];
    let text = HEADER;
    for (let i = 1; i <= 20_000; i++) text += `${i},${names[i % names.length]},11010519491231002X\n`;
    const bytes = iconv.encode(text, 'gb18030');
    expect(bytes.length).toBeGreaterThan(4 * 65_536);
    for (const encoding of ['gbk', 'gb18030', 'auto'] as const) {
      const { items, error } = await collect(reader(write(`big-${encoding}.csv`, bytes), encoding));
      expect(error).toBeUndefined();
      expect(items).toHaveLength(20_000);
      expect(records(items).every((r) => r.fields.xm === names[r.rowNumber % names.length])).toBe(true);
    }
  });

  it('honours a declared encoding over detection', async () => {
    // "中文" in UTF-8 (E4 B8 AD E6 96 87) is also three valid GBK characters; the profile says GBK.
    const { items } = await collect(reader(write('declared.csv', Buffer.from('yhid,xm\n1,中文\n', 'utf8')), 'gbk'));
    expect(records(items)[0].fields.xm).toBe(iconv.decode(Buffer.from('中文', 'utf8'), 'gb18030'));
    expect(records(items)[0].fields.xm).not.toBe('中文');
  });

  it('pins an undecodable byte under declared UTF-8 to file, row, line and byte offset', async () => {
    const head = Buffer.from('yhid,xm\n1,张三\n2,', 'utf8');
    const file = write('gbk-as-utf8.csv', Buffer.concat([head, iconv.encode('李四', 'gbk'), Buffer.from('\n3,王五\n')]));
    const { items, error } = await collect(reader(file, 'utf-8'));
    expect(records(items).map((r) => r.fields.xm)).toEqual(['张三']); // rows before it are delivered
    expect(error).toBeInstanceOf(ReaderError);
    const e = error as ReaderError;
    expect(e.code).toBe('encoding.invalid_utf8');
    expect(e.location).toEqual({ file, rowNumber: 2, line: 3, byteOffset: head.length });
    expect(e.message).toBe(`${file}: row 2, line 3, byte offset ${head.length}: invalid UTF-8 byte sequence`);
    expect(e.localized.zh).toContain(`第 2 条记录，第 3 行，字节偏移 ${head.length}`);
  });

  it('reports a bad byte right after a line break as the next row', async () => {
    const head = Buffer.from('yhid,xm\n1,张三\n', 'utf8');
    const { items, error } = await collect(reader(write('bad-at-start.csv', Buffer.concat([head, Buffer.from([0xff]), Buffer.from('2,x\n')])), 'utf-8'));
    expect(items).toHaveLength(1);
    expect((error as ReaderError).location).toMatchObject({ rowNumber: 2, byteOffset: head.length });
  });

  it('reports a bad byte in the header as the header', async () => {
    const { items, error } = await collect(reader(write('bad-header.csv', Buffer.from([0x79, 0xff, 0x0a, 0x31, 0x0a])), 'utf-8'));
    expect(items).toEqual([]);
    expect((error as ReaderError).location).toMatchObject({ rowNumber: 0, byteOffset: 1 });
  });

  it('fails loudly on a damaged UTF-8 file instead of re-reading it as GB18030', async () => {
    let text = HEADER;
    for (let i = 1; i <= 20; i++) text += `${i},张三丰,x\n`;
    const good = Buffer.from(text, 'utf8');
    const { items, error } = await collect(reader(write('damaged.csv', Buffer.concat([good, Buffer.from('21,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]))));
    expect(items).toHaveLength(20);
    expect((error as ReaderError).code).toBe('encoding.invalid_utf8');
    expect((error as ReaderError).location.byteOffset).toBe(good.length + 3);
  });

  it('reports a multi-byte character cut off by the end of the file', async () => {
    const body = Buffer.from('yhid,xm\n1,张', 'utf8');
    const { error } = await collect(reader(write('cut-char.csv', body.subarray(0, body.length - 1)), 'utf-8'));
    expect((error as ReaderError).location).toMatchObject({ rowNumber: 1, byteOffset: body.length - 3 });
  });

  it('refuses UTF-16 with a clear message', async () => {
    const { error } = await collect(reader(write('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('yhid,xm\n', 'utf16le')]))));
    expect((error as ReaderError).code).toBe('encoding.utf16_unsupported');
  });
});

describe('CSV reader: structure', () => {
  it('stops before any row when a profile column is missing from the header', async () => {
    const file = write('missing.csv', 'yhid,name\n1,张三\n');
    const { items, error } = await collect(reader(file));
    expect(items).toEqual([]);
    const e = error as ReaderError;
    expect(e.code).toBe('csv.missing_column');
    expect(e.location).toMatchObject({ file, rowNumber: 0, line: 1 });
    expect(e.message).toContain('xm (columns.name)');
    expect(e.localized.zh).toContain('表头');
  });

  it('refuses a duplicated column the profile uses, but not an unused one', async () => {
    expect((await collect(reader(write('dup.csv', 'yhid,xm,xm\n1,a,b\n')))).error).toMatchObject({ code: 'csv.duplicate_column' });
    expect((await collect(reader(write('dup-unused.csv', 'yhid,xm,bz,bz\n1,a,b,c\n')))).error).toBeUndefined();
  });

  it('reports a row with too many fields and keeps reading', async () => {
    const { items, error } = await collect(reader(write('many.csv', `${HEADER}1,张三,X\n2,李,四,X\n3,王五,X,\n`)));
    expect(error).toBeUndefined();
    expect(items[1]).toEqual({
      ok: false,
      rowNumber: 2,
      line: 3,
      code: 'csv.too_many_fields',
      message: { zh: expect.stringContaining('4'), en: '4 fields, more than the 3 header columns (an unquoted delimiter?)' },
    });
    // A trailing delimiter adds only an empty field: tolerated.
    expect(items[2]).toMatchObject({ ok: true, rowNumber: 3, fields: { xm: '王五' } });
  });

  it('reports a row with too few fields', async () => {
    // (a complete row follows: a short LAST row is a truncated file, below)
    const { items } = await collect(reader(write('few.csv', `${HEADER}1,张三\n2,李四,X\n`)));
    expect(items[0]).toMatchObject({ ok: false, rowNumber: 1, code: 'csv.too_few_fields' });
  });

  it('stops on a file cut in the middle of its last row (outside quotes), with or without a final newline', async () => {
    for (const [name, text] of [
      ['cut.csv', `${HEADER}1,张三,X\n2,李四`],
      ['cut-nl.csv', `${HEADER}1,张三,X\n2,李四\n\n`],
      ['cut-short.csv', `${HEADER}1,张三\n2,李四,X\n3`],
    ] as const) {
      const file = write(name, text);
      const { items, error } = await collect(reader(file));
      const e = error as ReaderError;
      expect(e, name).toBeInstanceOf(ReaderError);
      expect(e.code).toBe('csv.truncated_row');
      expect(e.location).toMatchObject({ file, rowNumber: name === 'cut-short.csv' ? 3 : 2 });
      expect(e.localized.en).toMatch(/truncated/);
      expect(e.localized.zh).toMatch(/截断/);
      // the rows before it are delivered as usual (a short row in the middle stays a row fault)
      expect(items.map((i) => [i.rowNumber, i.ok])).toEqual(name === 'cut-short.csv' ? [[1, false], [2, true]] : [[1, true]]);
    }
  });

  it('stops on a truncated file (a quote still open at the end)', async () => {
    const file = write('truncated.csv', `${HEADER}1,张三,X\n2,"李四,X\n3,王五,X\n`);
    const { items, error } = await collect(reader(file));
    expect(records(items).map((r) => r.rowNumber)).toEqual([1]);
    const e = error as ReaderError;
    expect(e.code).toBe('csv.truncated');
    expect(e.location).toEqual({ file, rowNumber: 2, line: 3 });
    expect(e.message).toMatch(/truncated/);
  });

  it('bounds a runaway record instead of buffering the rest of the file', async () => {
    const { items, error } = await collect(reader(write('runaway.csv', `${HEADER}1,"${'x'.repeat(5000)}\n`.repeat(3)), 'auto', { maxRecordChars: 1000 }));
    expect(items).toEqual([]);
    expect(error).toMatchObject({ code: 'csv.record_too_large', location: { rowNumber: 1 } });
  });

  it('explains an empty file and a missing file', async () => {
    expect((await collect(reader(write('empty.csv', '')))).error).toMatchObject({ code: 'csv.empty' });
    expect((await collect(reader(write('blank.csv', '\n\n')))).error).toMatchObject({ code: 'csv.empty' });
    expect((await collect(reader('/nonexistent/users.csv'))).error).toMatchObject({ code: 'file.unreadable', message: expect.stringContaining('ENOENT') });
  });

  it('supports another delimiter, and keeps odd column names harmless', async () => {
    const { items } = await collect(reader(write('tab.tsv', 'yhid\txm\t__proto__\n1\t张三\tx\n'), 'auto', { delimiter: '\t' }));
    const fields = records(items)[0].fields;
    expect(fields.xm).toBe('张三');
    expect(Object.getPrototypeOf(fields)).toBeNull();
  });

  it('closes the file when the consumer stops early', async () => {
    let text = HEADER;
    for (let i = 1; i <= 50_000; i++) text += `${i},张三,X\n`;
    const r = reader(write('early.csv', text));
    let n = 0;
    for await (const _ of r) if (++n === 10) break;
    expect(n).toBe(10);
  });
});
