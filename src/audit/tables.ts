import type { ColumnType } from 'kysely';

export interface AuditLogTable {
  seq: number;
  at: Date;
  actor: string | null;
  event: string;
  outcome: string;
  client_id: string | null;
  ip: string | null;
  detail: ColumnType<Record<string, unknown>, string, string>;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
