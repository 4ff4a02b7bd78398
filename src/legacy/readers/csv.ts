// Streaming CSV reader: file bytes -> strict decoder -> csv-parse, driven by hand (write a chunk,
// read the records it completed) so that rows keep their numbers and a fault is pinned to the row
// it is in. Memory holds one 64 KiB chunk and at most one record of maxRecordChars.
import fs from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { message } from '../messages.ts';
import type { CsvEncoding } from '../profile.ts';
import { StrictDecoder, type TextEncoding } from './decode.ts';
import { detectEncoding } from './detect.ts';
import { asReaderError, DEFAULT_MAX_RECORD_CHARS, ReaderError, type FileReaderOptions, type ReaderItem, type ReaderMeta, type RecordReader } from './types.ts';

export interface CsvReaderOptions extends FileReaderOptions {
  encoding: CsvEncoding;
  delimiter?: string;
}

export function openCsvReader(options: CsvReaderOptions): RecordReader {
  const meta: ReaderMeta = {};
  return {
    source: options.file,
    meta,
    [Symbol.asyncIterator]: () => readCsv(options, meta),
  };
}

async function resolveEncoding(options: CsvReaderOptions): Promise<TextEncoding> {
  if (options.encoding === 'auto') return detectEncoding(options.file);
  return options.encoding === 'utf-8' ? 'utf-8' : 'gb18030';
}

async function* readCsv(options: CsvReaderOptions, meta: ReaderMeta): AsyncGenerator<ReaderItem> {
  const { file } = options;
  const maxChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  const encoding = await resolveEncoding(options);
  meta.encoding = encoding;
  const decoder = new StrictDecoder(encoding);
  const parser = parse({
    delimiter: options.delimiter ?? ',',
    relax_column_count: true, // field counts are checked here, per row, so one bad row can be skipped
    relax_quotes: true, // a stray quote inside an unquoted name is data, not a reason to stop
    skip_empty_lines: false, // blank lines still advance line numbers; skipped below
    max_record_size: maxChars,
  });
  parser.on('error', () => {}); // surfaced through parser.errored, synchronously, below
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });

  let header: string[] | null = null;
  let index: Map<string, number> | null = null;
  let rowNumber = 0;
  // Physical line where the next record starts. Counted here from the fields' embedded line breaks:
  // csv-parse's own line count runs ahead on CRLF inside quoted fields.
  let nextLine = 1;
  // A row with too few fields is held until the next record shows it was not the last: a last
  // record with too few fields is a file cut short, which no on_error setting may skip.
  let held: RowFault | null = null;

  // Completed records since the last call, turned into items; the header is consumed here.
  const take = (out: ReaderItem[], records: string[][] = drain()): void => {
    for (const record of records) {
      const line = nextLine;
      nextLine += 1 + embeddedLineBreaks(record);
      if (record.length === 1 && record[0] === '') continue; // blank line
      if (!header) {
        header = record.map((h) => h.trim());
        index = checkHeader(header, options, line);
        meta.columns = header;
        continue;
      }
      rowNumber++;
      if (held) out.push(held);
      held = null;
      const item = toItem(record, header, index!, rowNumber, line);
      if (!item.ok && item.code === 'csv.too_few_fields') held = item;
      else out.push(item);
    }
  };
  const failIfLastRowCut = (): void => {
    if (held) throw new ReaderError('csv.truncated_row', { file, rowNumber: held.rowNumber, line: held.line }, { found: held.found ?? 0, expected: held.expected ?? 0 });
  };
  const drain = (): string[][] => {
    const records: string[][] = [];
    for (let r: string[] | null; (r = parser.read() as string[] | null) !== null; ) records.push(r);
    return records;
  };
  const failIfParserErrored = (): void => {
    const err = parser.errored as CsvError | null;
    if (err) throw parserError(err, file, header ? rowNumber + 1 : 0, nextLine, maxChars);
  };

  let lastChar = '\n'; // last character handed to the parser, to tell record boundaries
  const write = (text: string): void => {
    if (!text) return;
    parser.write(text);
    lastChar = text[text.length - 1];
  };

  try {
    const out: ReaderItem[] = [];
    let step: { text: string; errorAt?: number } = { text: '' };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        meta.bytesRead = (meta.bytesRead ?? 0) + chunk.length;
        step = decoder.write(chunk);
        if (step.errorAt !== undefined) break;
        write(step.text);
        take(out);
        failIfParserErrored();
        yield* out.splice(0);
      }
    } catch (err) {
      throw asReaderError(err, file);
    }
    if (step.errorAt === undefined) step = decoder.end();
    if (step.errorAt !== undefined) {
      // Parse what came before the bad byte to learn which row it is in. Records completed before
      // it are good and still delivered; a record the text stops inside is the faulty row, dropped.
      write(step.text);
      take(out);
      const atBoundary = lastChar === '\n' || lastChar === '\r';
      parser.end(); // flushes the record in progress (or fails on an open quote: the same row)
      const flushed = drain();
      if (!atBoundary) flushed.pop();
      take(out, flushed);
      if (held) out.push(held); // not the last record: the undecodable one follows it
      held = null;
      yield* out.splice(0);
      const code = encoding === 'utf-8' ? 'encoding.invalid_utf8' : 'encoding.invalid_gb18030';
      throw new ReaderError(code, { file, rowNumber: header ? rowNumber + 1 : 0, line: nextLine, byteOffset: step.errorAt });
    }
    parser.end();
    take(out);
    failIfParserErrored();
    yield* out.splice(0);
    failIfLastRowCut();
    if (!header) throw new ReaderError('csv.empty', { file });
  } finally {
    stream.destroy();
    parser.destroy();
  }
}

function embeddedLineBreaks(record: string[]): number {
  let n = 0;
  for (const field of record) for (let i = field.indexOf('\n'); i !== -1; i = field.indexOf('\n', i + 1)) n++;
  return n;
}

/** Map header names to positions; every column the profile names must be there, before any row. */
function checkHeader(header: string[], options: CsvReaderOptions, line: number): Map<string, number> {
  const index = new Map<string, number>();
  const duplicates = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') return;
    if (index.has(name)) duplicates.add(name);
    else index.set(name, i);
  });
  const missing = options.requiredColumns.filter((c) => !index.has(c.column));
  if (missing.length) {
    throw new ReaderError('csv.missing_column', { file: options.file, rowNumber: 0, line }, {
      columns: missing.map((c) => `${c.column} (columns.${c.field})`).join(', '),
    });
  }
  // An unused duplicate is harmless; a used one is ambiguous.
  const ambiguous = options.requiredColumns.find((c) => duplicates.has(c.column));
  if (ambiguous) throw new ReaderError('csv.duplicate_column', { file: options.file, rowNumber: 0, line, column: ambiguous.column }, { column: ambiguous.column });
  return index;
}

type RowFault = Extract<ReaderItem, { ok: false }> & { found?: number; expected?: number };

function toItem(record: string[], header: string[], index: Map<string, number>, rowNumber: number, line: number): ReaderItem | RowFault {
  if (record.length > header.length) {
    // Trailing empty fields (a trailing delimiter) are common in exports and carry nothing.
    const extra = record.slice(header.length);
    if (extra.some((v) => v !== '')) {
      return { ok: false, rowNumber, line, code: 'csv.too_many_fields', message: fieldCountMessage('csv.too_many_fields', record.length, header.length) };
    }
  } else if (record.length < header.length) {
    const fault: RowFault = { ok: false, rowNumber, line, code: 'csv.too_few_fields', message: fieldCountMessage('csv.too_few_fields', record.length, header.length) };
    // kept off the enumerable item: only the truncation error needs them
    Object.defineProperties(fault, { found: { value: record.length }, expected: { value: header.length } });
    return fault;
  }
  // No prototype: a column named "__proto__" or "constructor" is just a column.
  const fields: Record<string, string> = Object.create(null);
  for (const [name, i] of index) fields[name] = record[i];
  return { ok: true, rowNumber, line, fields };
}

function fieldCountMessage(code: 'csv.too_many_fields' | 'csv.too_few_fields', found: number, expected: number) {
  return message(code, { found, expected });
}

function parserError(err: CsvError, file: string, rowNumber: number, line: number, maxChars: number): ReaderError {
  const loc = { file, rowNumber, line };
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new ReaderError('csv.truncated', loc, undefined, { cause: err });
    case 'CSV_MAX_RECORD_SIZE':
      return new ReaderError('csv.record_too_large', loc, { limit: maxChars }, { cause: err });
    default:
      return new ReaderError('csv.malformed', loc, { reason: err.message }, { cause: err });
  }
}
