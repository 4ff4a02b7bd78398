// Bad input that ends a job, as the error kept with the job and reported: where the source could
// not be read on, or the row that stopped it under on_error "stop".
import { locate, type Bilingual } from '../messages.ts';
import { ReaderError } from '../readers/index.ts';
import type { JobError } from './report.ts';
import { StopImport } from './write.ts';

function readerFailure(err: ReaderError): JobError {
  const loc = err.location;
  return {
    code: err.code,
    message: err.localized,
    ...(loc.file !== undefined ? { file: loc.file } : {}),
    ...(loc.rowNumber !== undefined ? { row: loc.rowNumber } : {}),
    ...(loc.line !== undefined ? { line: loc.line } : {}),
    ...(loc.column !== undefined ? { column: loc.column } : {}),
    ...(loc.byteOffset !== undefined ? { byte_offset: loc.byteOffset } : {}),
  };
}

function stopFailure(err: StopImport, source: string): JobError {
  const r = err.rejection;
  const where = locate({ file: source, rowNumber: r.rowNumber, line: r.line ?? undefined, column: r.column ?? undefined });
  const message: Bilingual = { zh: `${where.zh}：${r.message.zh}`, en: `${where.en}: ${r.message.en}` };
  return { code: r.code, message, file: source, row: r.rowNumber, ...(r.line !== null ? { line: r.line } : {}), ...(r.column !== null ? { column: r.column } : {}) };
}

/** Bad input that ends a job; null for a fault of ours or of the database. */
export function asJobError(err: unknown, source: string): JobError | null {
  if (err instanceof ReaderError) return readerFailure(err);
  if (err instanceof StopImport) return stopFailure(err, source);
  return null;
}
