import type { ColumnType, Generated } from 'kysely';

/** A person's authenticator app (TOTP, RFC 6238): one per person. */
export interface TotpTable {
  person_id: string;
  /** the base32 secret, sealed with AAD `mfa_totp.secret` */
  secret_enc: string;
  /** null while the enrolment waits for its first code */
  confirmed_at: Date | null;
  /** the newest accepted time step; codes of this step or earlier are refused */
  last_step: number | null;
  created_at: Generated<Date>;
}

/** One recovery code: a keyed hash of it, used once. */
export interface RecoveryCodeTable {
  id: string;
  person_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: Generated<Date>;
}

/** A passkey (WebAuthn credential). */
export interface PasskeyTable {
  id: string;
  person_id: string;
  /** base64url, as the browser reports it */
  credential_id: string;
  /** COSE public key, base64url */
  public_key: string;
  counter: Generated<number>;
  transports: ColumnType<string[], string | undefined, string>;
  /** singleDevice (device-bound) or multiDevice (synced) */
  device_type: string;
  backed_up: boolean;
  name: string;
  aaguid: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
}

/** A WebAuthn challenge, usable once, for one purpose and one interaction or session. */
export interface ChallengeTable {
  challenge: string;
  purpose: string;
  binding: string;
  person_id: string | null;
  expires_at: Date;
}

/** When a level (acr) was reached in a sign-in session, with the methods (amr) that reached it. */
export type LevelRecord = Record<string, { at: number; amr: string[] }>;

export interface SessionLevelsTable {
  /** the provider session's uid (stable across the re-logins that change its id) */
  session_uid: string;
  account_id: string;
  levels: ColumnType<LevelRecord, string, string>;
  updated_at: Generated<Date>;
}

/** A person who chose SMS codes (to the verified phone) as a second factor. */
export interface SmsChoiceTable {
  person_id: string;
  enabled_at: Generated<Date>;
}

export interface MfaTables {
  mfa_totp: TotpTable;
  mfa_recovery_codes: RecoveryCodeTable;
  mfa_passkeys: PasskeyTable;
  mfa_challenges: ChallengeTable;
  mfa_session_levels: SessionLevelsTable;
  mfa_sms: SmsChoiceTable;
}
