// Opens the reader a profile's source calls for. The SQL reader is supplied by its own module
// (it needs database drivers); until it is, a SQL source is refused with a clear message.
import { profileColumns, type ImportProfile } from '../profile.ts';
import { openCsvReader } from './csv.ts';
import { openJsonlReader } from './jsonl.ts';
import { ReaderError, type RecordReader, type SqlReaderFactory } from './types.ts';

export { openCsvReader } from './csv.ts';
export { detectEncoding } from './detect.ts';
export { openJsonlReader } from './jsonl.ts';
export * from './types.ts';

export interface OpenReaderOptions {
  /** The file to read, for file sources. */
  file?: string;
  sql?: SqlReaderFactory;
  maxRecordChars?: number;
}

export function openReader(profile: ImportProfile, options: OpenReaderOptions): RecordReader {
  const requiredColumns = profileColumns(profile);
  const { source } = profile;
  if (source.type === 'sql') {
    if (!options.sql) throw new ReaderError('source.unsupported', {}, { type: 'sql' });
    return options.sql(source, { requiredColumns });
  }
  if (!options.file) throw new Error(`a ${source.type} source needs a file`);
  const common = { file: options.file, requiredColumns, maxRecordChars: options.maxRecordChars };
  return source.type === 'csv' ? openCsvReader({ ...common, encoding: source.encoding, delimiter: source.delimiter }) : openJsonlReader(common);
}
