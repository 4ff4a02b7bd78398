import type { Generated } from 'kysely';

/** One admin role held by a person or by a client (exactly one of person_id, client_id). */
export interface AdminRoleTable {
  id: string;
  person_id: string | null;
  client_id: string | null;
  role: string;
  /** set for the department role only */
  department_code: string | null;
  granted_by: string;
  created_at: Generated<Date>;
}

export interface AdminTables {
  admin_roles: AdminRoleTable;
}
