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
  /** the chain (one per appending process, see service.ts) */
  chain: Generated<number>;
  /** the seq this record links to in its chain; null on rows from before 0017 (seq - 1) */
  prev_seq: number | null;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  chain: Generated<number>;
  /** the process appending to this chain while lease_until lasts */
  holder: string | null;
  lease_until: Date | null;
}

export interface AuditTables {
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
}
