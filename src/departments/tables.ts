import type { Generated } from 'kysely';

export interface DepartmentTable {
  code: string;
  name: string;
  created_at: Generated<Date>;
}

export interface DepartmentsTables {
  departments: DepartmentTable;
}
