import type { ColumnType, Generated } from 'kysely';

export interface OidcPayloadTable {
  model: string;
  id: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  /** the person (Session, Grant) and the app (Grant): whose sessions a governance event ends */
  account_id: string | null;
  client_id: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  jwk_enc: string;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export interface OidcTables {
  oidc_payloads: OidcPayloadTable;
  signing_keys: SigningKeyTable;
}
