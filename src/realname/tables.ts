import type { Generated } from 'kysely';

export type LevelMethod = 'idv' | 'counter' | 'upstream' | 'self';

export interface RealNameHistoryTable {
  id: Generated<number>;
  person_id: string;
  level: number;
  previous_level: number | null;
  method: LevelMethod;
  /** who: a person's sub (self), `cli:USER` (counter staff), `system:idv` */
  actor: string;
  note: string | null;
  at: Generated<Date>;
}

export interface RealNameTables {
  real_name_history: RealNameHistoryTable;
}
