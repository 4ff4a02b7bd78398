import type { ColumnType, Generated } from 'kysely';

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
  /** id of the MAC key ('legacy': written before 0015, MAC'd without a key id) */
  key_id: string;
  /** one chain today (1); room for one chain per node */
  chain: Generated<number>;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  chain: Generated<number>;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
