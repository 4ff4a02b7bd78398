import type { ColumnType, Generated } from 'kysely';

export interface ClientTable {
  client_id: string;
  name: string;
  department_code: string | null;
  first_party: Generated<boolean>;
  metadata: ColumnType<Record<string, unknown>, string, string>;
  secret_enc: string | null;
  status: Generated<string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface ClientsTables {
  clients: ClientTable;
}
