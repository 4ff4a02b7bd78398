// The import report: counts, the error that stopped a job, and every rejection and conflict with its
// row number, reason code and reason. Printed (capped) by the CLI and written in full to --report
// files, streamed page by page so a million rejections do not need a million objects in memory.
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Bilingual } from '../messages.ts';
import { legacyAccountStore } from '../account-store.ts';
import { conflictStore, rejectionStore, type ConflictRow, type JobRow, type RejectionRow } from '../store.ts';
import { emptyCounters, type ImportCounters } from './counters.ts';

export interface JobError {
  code: string;
  message: Bilingual;
  file?: string;
  row?: number;
  line?: number;
  column?: string;
  byte_offset?: number;
  /** a file's bytes before the row that stopped the job: resume accepts a file fixed from there on */
  source_prefix?: { bytes: number; sha256: string };
}

export interface RejectionEntry {
  row: number;
  line: number | null;
  code: string;
  column: string | null;
  reason: Bilingual;
  values: Record<string, string>;
}

export interface ConflictEntry {
  id: string;
  row: number;
  legacy_uid: string;
  code: string;
  column: string | null;
  reason: Bilingual;
  values: Record<string, string>;
  status: string;
}

export interface RunStats {
  /** rows handled by this process, and how long it took */
  rows: number;
  elapsed_ms: number;
}

export interface ImportReport {
  job_id: string;
  department: string;
  source: string;
  status: string;
  dry_run: boolean;
  started_at: string;
  finished_at: string | null;
  /** the last source row committed */
  checkpoint: number;
  run: { rows: number; elapsed_ms: number; rows_per_second: number } | null;
  counts: ImportCounters;
  error: JobError | null;
  /** login names of the department shared by different persons: `CODE/name` signs nobody in */
  ambiguous_login_names: number;
  rejections_total: number;
  rejections: RejectionEntry[];
  /** set when the list above is cut short (the --report file always holds every one) */
  rejections_truncated?: boolean;
  conflicts_total: number;
  conflicts: ConflictEntry[];
  conflicts_truncated?: boolean;
}

const PAGE = 1000;

export const rejectionEntry = (r: RejectionRow): RejectionEntry => ({
  row: r.row_number,
  line: r.line,
  code: r.code,
  column: r.column_name,
  reason: { zh: r.reason_zh, en: r.reason_en },
  values: r.masked_values,
});

export const conflictEntry = (c: ConflictRow): ConflictEntry => ({
  id: c.id,
  row: c.row_number,
  legacy_uid: c.legacy_uid,
  code: c.code,
  column: c.column_name,
  reason: { zh: c.reason_zh, en: c.reason_en },
  values: c.masked_values,
  status: c.status,
});

function runOf(stats: RunStats | null) {
  if (!stats) return null;
  const seconds = stats.elapsed_ms / 1000;
  return { rows: stats.rows, elapsed_ms: Math.round(stats.elapsed_ms), rows_per_second: seconds > 0 ? Math.round(stats.rows / seconds) : 0 };
}

function header(job: JobRow, stats: RunStats | null, ambiguous: number): Omit<ImportReport, 'rejections' | 'conflicts' | 'rejections_total' | 'conflicts_total'> {
  return {
    job_id: job.id,
    department: job.department_code,
    source: job.source,
    status: job.status,
    dry_run: job.status === 'dry_run',
    started_at: new Date(job.started_at).toISOString(),
    finished_at: job.finished_at ? new Date(job.finished_at).toISOString() : null,
    checkpoint: job.checkpoint,
    run: runOf(stats),
    counts: { ...emptyCounters(), ...(job.counters as Partial<ImportCounters>) },
    error: (job.error as JobError | null) ?? null,
    ambiguous_login_names: ambiguous,
  };
}

/** The report with at most `limit` rejections and conflicts listed. */
export async function buildReport(db: Kysely<Database>, job: JobRow, stats: RunStats | null, limit = 1000): Promise<ImportReport> {
  const rejectionsTotal = await rejectionStore.count(db, job.id);
  const conflictsTotal = await conflictStore.count(db, job.id);
  const ambiguous = await legacyAccountStore.ambiguousLoginNames(db, job.department_code);
  const rejections = (await rejectionStore.page(db, job.id, 0, limit)).map(rejectionEntry);
  const conflicts = (await conflictStore.forJob(db, job.id, 0, limit)).map(conflictEntry);
  return {
    ...header(job, stats, ambiguous),
    rejections_total: rejectionsTotal,
    rejections,
    ...(rejectionsTotal > rejections.length ? { rejections_truncated: true } : {}),
    conflicts_total: conflictsTotal,
    conflicts,
    ...(conflictsTotal > conflicts.length ? { conflicts_truncated: true } : {}),
  };
}

/** The full report as one JSON document, every rejection and conflict included. */
export async function writeReportFile(db: Kysely<Database>, job: JobRow, stats: RunStats | null, file: string): Promise<void> {
  const out = fs.createWriteStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});
  const write = async (s: string) => {
    if (!out.write(s)) await Promise.race([new Promise<void>((r) => out.once('drain', () => r())), failed]);
  };
  const rejectionsTotal = await rejectionStore.count(db, job.id);
  const conflictsTotal = await conflictStore.count(db, job.id);
  const ambiguous = await legacyAccountStore.ambiguousLoginNames(db, job.department_code);
  const head = JSON.stringify({ ...header(job, stats, ambiguous), rejections_total: rejectionsTotal, conflicts_total: conflictsTotal }, null, 2);
  await write(`${head.slice(0, -2)},\n  "rejections": [`);
  let first = true;
  for (let after = 0; ; ) {
    const page = await rejectionStore.page(db, job.id, after, PAGE);
    for (const r of page) {
      await write(`${first ? '' : ','}\n    ${JSON.stringify(rejectionEntry(r))}`);
      first = false;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1].row_number;
  }
  await write(`${first ? '' : '\n  '}],\n  "conflicts": [`);
  first = true;
  for (let after = 0; ; ) {
    const page = await conflictStore.forJob(db, job.id, after, PAGE);
    for (const c of page) {
      await write(`${first ? '' : ','}\n    ${JSON.stringify(conflictEntry(c))}`);
      first = false;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1].row_number;
  }
  await write(`${first ? '' : '\n  '}]\n}\n`);
  await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
}
