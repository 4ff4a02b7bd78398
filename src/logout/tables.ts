import type { Generated } from 'kysely';

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** One back-channel logout to deliver to one app (per session id there when known). */
export interface LogoutOutboxTable {
  id: Generated<number>;
  event_id: string;
  reason: string;
  client_id: string;
  sub: string;
  sid: string | null;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  finished_at: Date | null;
}

export interface LogoutTables {
  logout_outbox: LogoutOutboxTable;
}
