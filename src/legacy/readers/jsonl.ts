// Streaming JSON Lines reader (UTF-8, as the format requires). Each non-blank line is one object;
// its values become strings: numbers keep their exact source text, so an 18-digit ID number
// written as a JSON number is not rounded through a double (JSON.parse source text access).
import fs from 'node:fs';
import { message } from '../messages.ts';
import { StrictDecoder } from './decode.ts';
import { asReaderError, DEFAULT_MAX_RECORD_CHARS, ReaderError, type FileReaderOptions, type ReaderItem, type ReaderMeta, type RecordReader } from './types.ts';

export function openJsonlReader(options: FileReaderOptions): RecordReader {
  const meta: ReaderMeta = { encoding: 'utf-8' };
  return {
    source: options.file,
    meta,
    [Symbol.asyncIterator]: () => readJsonl(options, meta),
  };
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
const keepNumberText: Reviver = (_key, value, context) => (typeof value === 'number' && context?.source !== undefined ? context.source : value);

/** A parsed line: fields, or why it is not a record. */
export function parseJsonLine(text: string): { ok: true; fields: Record<string, string> } | { ok: false; code: 'jsonl.invalid_json' | 'jsonl.not_object' } {
  let value: unknown;
  try {
    value = JSON.parse(text, keepNumberText as (this: unknown, key: string, value: unknown) => unknown);
  } catch {
    return { ok: false, code: 'jsonl.invalid_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, code: 'jsonl.not_object' };
  const fields: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue; // absent and null are both "no value"
    fields[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return { ok: true, fields };
}

async function* readJsonl(options: FileReaderOptions, meta: ReaderMeta): AsyncGenerator<ReaderItem> {
  const { file } = options;
  const maxChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  const decoder = new StrictDecoder('utf-8');
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 16 });
  let pending = ''; // the line in progress
  let line = 0;
  let rowNumber = 0;

  function* lines(text: string, final: boolean): Generator<ReaderItem> {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      yield* one(pending + text.slice(start, nl), false);
      pending = '';
      start = nl + 1;
    }
    pending += text.slice(start);
    if (pending.length > maxChars) throw new ReaderError('jsonl.line_too_long', { file, rowNumber: rowNumber + 1, line: line + 1 }, { limit: maxChars });
    if (final && pending !== '') {
      const rest = pending;
      pending = '';
      yield* one(rest, true);
    }
  }

  function* one(raw: string, last: boolean): Generator<ReaderItem> {
    line++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (text.length > maxChars) throw new ReaderError('jsonl.line_too_long', { file, rowNumber: rowNumber + 1, line }, { limit: maxChars });
    rowNumber++;
    const parsed = parseJsonLine(text);
    if (parsed.ok) yield { ok: true, rowNumber, line, fields: parsed.fields };
    // A broken last line without a newline is a file cut off mid-write, not one bad record.
    else if (last && parsed.code === 'jsonl.invalid_json') throw new ReaderError('jsonl.truncated', { file, rowNumber, line });
    else yield { ok: false, rowNumber, line, code: parsed.code, message: message(parsed.code) };
  }

  try {
    let step: { text: string; errorAt?: number } = { text: '' };
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        meta.bytesRead = (meta.bytesRead ?? 0) + chunk.length;
        step = decoder.write(chunk);
        if (step.errorAt !== undefined) break;
        yield* lines(step.text, false);
      }
    } catch (err) {
      throw asReaderError(err, file);
    }
    if (step.errorAt === undefined) step = decoder.end();
    if (step.errorAt !== undefined) {
      // Complete lines before the bad byte are good; the line it is in is reported.
      const before = pending + step.text;
      const nl = before.lastIndexOf('\n');
      if (nl !== -1) {
        pending = '';
        yield* lines(before.slice(0, nl + 1), false);
      }
      throw new ReaderError('encoding.invalid_utf8', { file, rowNumber: rowNumber + 1, line: line + 1, byteOffset: step.errorAt });
    }
    yield* lines('', true);
  } finally {
    stream.destroy();
  }
}
