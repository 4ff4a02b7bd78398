import type { Generated } from 'kysely';

/** A person whose registration could not be checked against the population base: check again. */
export interface IdvRecheckTable {
  person_id: string;
  attempts: Generated<number>;
  next_attempt_at: Date;
  lease_until: Date | null;
  created_at: Generated<Date>;
}

export interface IdvTables {
  idv_rechecks: IdvRecheckTable;
}
