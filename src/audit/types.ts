// The shapes of audit events as appended and records as read (service.ts appends and verifies).
import type { AuditEventName } from './events.ts';

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'info';

export interface AuditEvent {
  /** one of AUDIT_EVENTS (src/audit/events.ts), e.g. `login.failure`, `token.revoke`, `client.create` */
  event: AuditEventName;
  outcome: AuditOutcome;
  /** who acted: a person's sub, `admin:NAME`, `cli`, a client id ... never a raw identifier */
  actor?: string | null;
  clientId?: string | null;
  ip?: string | null;
  /** masked values only; ID and mobile numbers are masked again before writing */
  detail?: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: Date;
  actor: string | null;
  event: string;
  outcome: string;
  clientId: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** the id of the MAC key the record was chained with ('legacy' before key ids) */
  keyId: string;
}

export type AuditBadReason = 'hash_mismatch' | 'missing' | 'head_mismatch' | 'prev_mismatch' | 'unknown_key';

export type AuditVerifyResult =
  | { ok: true; records: number }
  /** `records`: how many records were verified intact before the first bad one */
  | { ok: false; records: number; firstBad: { seq: number; reason: AuditBadReason } };
