import type { Generated } from 'kysely';

export type CodePurpose = 'register' | 'login' | 'recover' | 'phone_change' | 'mfa';

export interface OneTimeCodeTable {
  id: string;
  purpose: CodePurpose;
  /** keyed hash of the purpose and what the code answers for (phone or identifier typed) */
  subject: string;
  /** the person it was sent for; null for registration and when it was sent to nobody */
  person_id: string | null;
  /** blind index of the number it was sent to; null when it was sent to nobody */
  phone_bidx: string | null;
  /** HMAC of the code, bound to the row id, purpose and subject */
  code_hash: string;
  attempts: Generated<number>;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export interface CodeCounterTable {
  key: string;
  count: number;
  expires_at: Date;
}

export interface CodesTables {
  one_time_codes: OneTimeCodeTable;
  code_counters: CodeCounterTable;
}
