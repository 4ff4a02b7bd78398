import type { ColumnType, Generated } from 'kysely';

export interface PersonTable {
  id: string;
  sub: string;
  id_type: string;
  id_number_enc: string | null;
  id_number_bidx: string | null;
  name: string;
  phone_enc: string | null;
  phone_bidx: string | null;
  phone_verified: Generated<boolean>;
  email_enc: string | null;
  email_bidx: string | null;
  email_verified: Generated<boolean>;
  password_hash: string | null;
  password_changed_at: Date | null;
  real_name_level: Generated<number>;
  status: Generated<string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AccountsTables {
  persons: PersonTable;
}
