// What every source reader (CSV, JSON Lines, and the SQL reader to come) yields. Readers stream:
// memory stays bounded by one chunk plus one record, whatever the size of the source.
import { locate, message, type Bilingual, type Location, type MessageCode, type MessageVars } from '../messages.ts';
import type { ColumnField, SqlSource } from '../profile.ts';

/** A data record. rowNumber counts data records from 1 (header and blank lines excluded). */
export interface RawRecord {
  ok: true;
  rowNumber: number;
  /** Physical line where the record starts, for people opening the file in an editor. */
  line?: number;
  fields: Record<string, string>;
}

/** A record that could not be read but does not stop the reader; the job skips or stops per profile. */
export interface RowFault {
  ok: false;
  rowNumber: number;
  line?: number;
  code: MessageCode;
  message: Bilingual;
}

export type ReaderItem = RawRecord | RowFault;

/** The source columns the profile refers to, checked before the first record. */
export interface RequiredColumn {
  field: ColumnField;
  column: string;
}

export interface RecordReader extends AsyncIterable<ReaderItem> {
  /** File path or redacted URL, for messages. */
  readonly source: string;
  /** Known once iteration has begun: the decoded encoding and the header columns. */
  readonly meta: ReaderMeta;
}

export interface ReaderMeta {
  encoding?: string;
  columns?: readonly string[];
  /** Bytes consumed so far, and the source's size when known: progress and ETA. */
  bytesRead?: number;
  totalBytes?: number;
}

export interface FileReaderOptions {
  file: string;
  requiredColumns: readonly RequiredColumn[];
  /** Longest record or line accepted, in characters; beyond it the source is treated as corrupt. */
  maxRecordChars?: number;
}

/** The SQL reader is built elsewhere; it plugs in through this signature. */
export type SqlReaderFactory = (source: SqlSource, options: { requiredColumns: readonly RequiredColumn[] }) => RecordReader;

/** A fault that ends the read: the rest of the source cannot be trusted (or reached). */
export class ReaderError extends Error {
  readonly code: MessageCode;
  readonly location: Location;
  /** Full bilingual text, location included. */
  readonly localized: Bilingual;

  constructor(code: MessageCode, location: Location, vars?: MessageVars, options?: { cause?: unknown }) {
    const where = locate(location);
    const what = message(code, vars);
    const localized = {
      zh: where.zh ? `${where.zh}：${what.zh}` : what.zh,
      en: where.en ? `${where.en}: ${what.en}` : what.en,
    };
    super(localized.en, options);
    this.name = 'ReaderError';
    this.code = code;
    this.location = location;
    this.localized = localized;
  }
}

export const DEFAULT_MAX_RECORD_CHARS = 1 << 20;

/** File-system failures become a ReaderError naming the file; anything else (a bug) passes through. */
export function asReaderError(err: unknown, file: string): unknown {
  if (err instanceof ReaderError) return err;
  const sys = err as NodeJS.ErrnoException;
  if (typeof sys?.syscall === 'string') return new ReaderError('file.unreadable', { file }, { reason: sys.code ?? sys.message }, { cause: err });
  return err;
}
