// Tables of the legacy migration (migrations/0003_legacy.ts, 0011_legacy_status.ts, 0014_import_rows_total.ts).
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

export type ImportStatus = 'running' | 'done' | 'failed' | 'dry_run';

export interface ImportJobTable {
  id: string;
  department_code: string;
  source: string;
  source_kind: string;
  source_fingerprint: JSONColumnType<Record<string, unknown>> | null;
  source_secret_enc: string | null;
  profile: JSONColumnType<Record<string, unknown>>;
  status: ImportStatus;
  checkpoint: Generated<number>;
  counters: JSONColumnType<Record<string, unknown>>;
  error: JSONColumnType<Record<string, unknown>> | null;
  report: JSONColumnType<Record<string, unknown>> | null;
  actor: string;
  started_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
  /** source rows counted at upload (admin API / console imports); null for CLI imports */
  rows_total: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface LegacyAccountTable {
  department_code: string;
  legacy_uid: string;
  person_id: string;
  login_name_bidx: string | null;
  password_scheme: string | null;
  password_enc: string | null;
  password_retired_at: Date | null;
  id_number_unverified_enc: string | null;
  uscc: string | null;
  org_name: string | null;
  org_id: string | null;
  job_id: string;
  row_number: number;
  created_at: Generated<Date>;
  /** the account's status in the old system (profile status_map); a disabled link never signs in */
  status: Generated<LegacyAccountStatus>;
}

export type LegacyAccountStatus = 'active' | 'disabled';

export interface ImportRejectionTable {
  job_id: string;
  row_number: number;
  line: number | null;
  code: string;
  reason_zh: string;
  reason_en: string;
  column_name: string | null;
  masked_values: JSONColumnType<Record<string, string>>;
}

export type ConflictStatus = 'pending' | 'merged' | 'kept_apart' | 'swapped';

export interface ImportConflictTable {
  id: string;
  job_id: string;
  row_number: number;
  department_code: string;
  legacy_uid: string;
  person_id: string;
  code: string;
  reason_zh: string;
  reason_en: string;
  column_name: string | null;
  masked_values: JSONColumnType<Record<string, string>>;
  row_enc: string;
  status: Generated<ConflictStatus>;
  decided_by: string | null;
  decided_at: Date | null;
  resolved_person_id: string | null;
  created_at: Generated<Date>;
}

export interface LegacyTables {
  import_jobs: ImportJobTable;
  legacy_accounts: LegacyAccountTable;
  import_rejections: ImportRejectionTable;
  import_conflicts: ImportConflictTable;
}
