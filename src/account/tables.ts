import type { Generated } from 'kysely';

/** Where a sign-in session was made from, recorded at each authorization it answers. */
export interface SessionDeviceTable {
  /** the provider session's uid (stable across the re-logins that change its id) */
  session_uid: string;
  account_id: string;
  /** the browser's User-Agent, at most 256 characters */
  user_agent: string;
  /** the client address with its host part masked (203.0.113.*), never the full address */
  network: string | null;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

/** A change of e-mail address waiting for the code sent to the new address. */
export interface EmailChangeTable {
  person_id: string;
  email_enc: string;
  code_hash: string;
  attempts: Generated<number>;
  sent_at: Date;
  expires_at: Date;
}

export type CancellationStatus = 'pending' | 'withdrawn' | 'erased';

/** A request to cancel the account (注销): erased when its cooling-off period is over. */
export interface CancellationTable {
  id: string;
  person_id: string;
  sub: string;
  status: CancellationStatus;
  requested_at: Generated<Date>;
  due_at: Date;
  ended_at: Date | null;
}

export interface AccountTables {
  account_session_devices: SessionDeviceTable;
  account_email_changes: EmailChangeTable;
  account_cancellations: CancellationTable;
}
