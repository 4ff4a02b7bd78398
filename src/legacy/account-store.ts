// SQL of legacy accounts: what an import links (set-based), what login and claims read, and the
// retirement of foreign hashes.
import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { insertLaidOut, rowLayout, type BulkTx } from '../db/bulk.ts';
import type { Database } from '../db/schema.ts';
import type { LegacyAccountStatus, LegacyAccountTable } from './tables.ts';

type LegacyAccountRow = Selectable<LegacyAccountTable>;

type Q = Kysely<Database> | Transaction<Database>;

/** Where a legacy uid was first used: the job and source row. */
export interface UidUse {
  legacy_uid: string;
  job_id: string;
  row_number: number;
}

export interface LegacyHashRow {
  department_code: string;
  legacy_uid: string;
  password_scheme: string | null;
  password_enc: string;
}

const NEW_ACCOUNT_COLUMNS = [
  'department_code',
  'legacy_uid',
  'person_id',
  'login_name_bidx',
  'password_scheme',
  'password_enc',
  'id_number_unverified_enc',
  'uscc',
  'org_name',
  'org_id',
  'job_id',
  'row_number',
  'status',
] as const;
export type NewLegacyAccountRow = Required<Pick<Insertable<LegacyAccountTable>, Exclude<(typeof NEW_ACCOUNT_COLUMNS)[number], 'status'>>> & {
  /** active unless the profile's status_map says otherwise */
  status?: LegacyAccountStatus;
};
// status may be left out (active): the layout fills it in
type LaidOutAccountRow = NewLegacyAccountRow & { readonly status: LegacyAccountStatus | undefined };
const NEW_ACCOUNT = rowLayout(NEW_ACCOUNT_COLUMNS, (r: LaidOutAccountRow) => [
  r.department_code,
  r.legacy_uid,
  r.person_id,
  r.login_name_bidx,
  r.password_scheme,
  r.password_enc,
  r.id_number_unverified_enc,
  r.uscc,
  r.org_name,
  r.org_id,
  r.job_id,
  r.row_number,
  r.status ?? 'active',
]);

export const legacyAccountStore = {
  /** Set-based insert (COPY on an import's connection); the review queue inserts one. */
  insertMany(tx: BulkTx, rows: readonly NewLegacyAccountRow[]): Promise<void> {
    return insertLaidOut(tx, 'legacy_accounts', NEW_ACCOUNT, rows as readonly LaidOutAccountRow[]);
  },
  /** Which of these uids of the department are linked already, and by which job and row. */
  async linkedUids(db: Q, department: string, uids: readonly string[]): Promise<UidUse[]> {
    if (!uids.length) return [];
    // one JSON parameter, whatever the batch's size (a statement takes at most 65535 parameters)
    const r = await sql<UidUse>`
      select legacy_uid, job_id, row_number from legacy_accounts
       where department_code = ${department}
         and legacy_uid in (select value from json_array_elements_text(${JSON.stringify(uids)}::json) as v(value))`.execute(db);
    return r.rows;
  },
  exists(db: Q, department: string, legacyUid: string): Promise<boolean> {
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .where('department_code', '=', department)
      .where('legacy_uid', '=', legacyUid)
      .executeTakeFirst()
      .then((r) => r !== undefined);
  },
  /** Whether any foreign hash of the person was retired (the person signed in through it). */
  hasRetired(db: Q, personId: string): Promise<boolean> {
    return db
      .selectFrom('legacy_accounts')
      .select('legacy_uid')
      .where('person_id', '=', personId)
      .where('password_retired_at', 'is not', null)
      .limit(1)
      .executeTakeFirst()
      .then((r) => r !== undefined);
  },
  /** The person's links, locked: a swap moves them to another person. */
  linksForUpdate(db: Q, personId: string): Promise<{ department_code: string; legacy_uid: string }[]> {
    return db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid'])
      .where('person_id', '=', personId)
      .orderBy('department_code')
      .orderBy('legacy_uid')
      .forUpdate()
      .execute();
  },
  /** Moves one link to another person, the ID number it was imported with kept sealed for review. */
  moveLink(db: Q, link: { department_code: string; legacy_uid: string }, personId: string, unverifiedEnc: string | null): Promise<void> {
    return db
      .updateTable('legacy_accounts')
      .set({ person_id: personId, id_number_unverified_enc: unverifiedEnc })
      .where('department_code', '=', link.department_code)
      .where('legacy_uid', '=', link.legacy_uid)
      .execute()
      .then(() => undefined);
  },
  /** Persons behind a login-name index; up to two, so the caller can tell one from ambiguous. */
  /** `loginBidx`: the name under every blind-index key it may have been stored with (Keyring.lastingIndexes) */
  personsByLogin(db: Q, loginBidx: readonly string[]): Promise<string[]> {
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .distinct()
      .where('login_name_bidx', 'in', loginBidx)
      // a link disabled in the old system signs nobody in (nor makes the name ambiguous)
      .where('status', '=', 'active')
      .limit(2)
      .execute()
      .then((rows) => rows.map((r) => r.person_id));
  },
  /** The foreign hashes that still let this person in: not retired, of links not disabled. */
  activeHashes(db: Q, personId: string): Promise<LegacyHashRow[]> {
    return db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'password_scheme', 'password_enc'])
      .where('person_id', '=', personId)
      .where('status', '=', 'active')
      .where('password_retired_at', 'is', null)
      .where('password_enc', 'is not', null)
      .orderBy('department_code')
      .orderBy('legacy_uid')
      .execute() as Promise<LegacyHashRow[]>;
  },
  /** Retires every foreign hash of the person: the sealed hash is erased, the scheme kept for the record. */
  retireAll(db: Q, personId: string): Promise<number> {
    return db
      .updateTable('legacy_accounts')
      .set({ password_enc: null, password_retired_at: new Date() })
      .where('person_id', '=', personId)
      .where('password_retired_at', 'is', null)
      .where('password_enc', 'is not', null)
      .executeTakeFirst()
      .then((r) => Number(r.numUpdatedRows));
  },
  /** Login names of the department that lead to more than one person: `CODE/name` logs nobody in. */
  ambiguousLoginNames(db: Q, department: string): Promise<number> {
    return db
      .selectFrom((eb) =>
        eb
          .selectFrom('legacy_accounts')
          .select('login_name_bidx')
          .where('department_code', '=', department)
          .where('login_name_bidx', 'is not', null)
          .where('status', '=', 'active')
          .groupBy('login_name_bidx')
          .having((h) => h.fn.count('person_id').distinct(), '>', 1)
          .as('d'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.n));
  },
  /** The person's legacy user id in a department: the first linked, when the source had several. */
  uidFor(db: Q, personId: string, department: string): Promise<string | null> {
    return db
      .selectFrom('legacy_accounts')
      .select('legacy_uid')
      .where('person_id', '=', personId)
      .where('department_code', '=', department)
      .orderBy('created_at')
      .orderBy('row_number')
      .limit(1)
      .executeTakeFirst()
      .then((r) => r?.legacy_uid ?? null);
  },
  /** A person's legacy accounts, optionally only those of some departments (administrators' view). */
  ofPerson(db: Q, personId: string, departments?: string[]): Promise<Pick<LegacyAccountRow, 'department_code' | 'legacy_uid' | 'password_scheme' | 'password_retired_at' | 'uscc' | 'org_name' | 'job_id' | 'created_at'>[]> {
    let q = db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'password_scheme', 'password_retired_at', 'uscc', 'org_name', 'job_id', 'created_at'])
      .where('person_id', '=', personId)
      .orderBy('department_code')
      .orderBy('legacy_uid');
    if (departments) q = departments.length ? q.where('department_code', 'in', departments) : q.where('department_code', '=', '\u0000');
    return q.execute();
  },
  /** Which of these persons have a legacy account in one of these departments. */
  linkedPersons(db: Q, personIds: string[], departments: string[]): Promise<string[]> {
    if (!personIds.length || !departments.length) return Promise.resolve([]);
    return db
      .selectFrom('legacy_accounts')
      .select('person_id')
      .distinct()
      .where('person_id', 'in', personIds)
      .where('department_code', 'in', departments)
      .execute()
      .then((r) => r.map((x) => x.person_id));
  },
  /** The person's links to departmental accounts (what the person may see of them). */
  linksOf(db: Q, personId: string): Promise<{ department_code: string; legacy_uid: string; created_at: Date }[]> {
    return db
      .selectFrom('legacy_accounts')
      .select(['department_code', 'legacy_uid', 'created_at'])
      .where('person_id', '=', personId)
      .orderBy('department_code')
      .orderBy('legacy_uid')
      .execute();
  },
  async forgetPerson(db: Q, personId: string): Promise<number> {
    await db.deleteFrom('import_conflicts').where('person_id', '=', personId).execute();
    await db.updateTable('import_conflicts').set({ resolved_person_id: null }).where('resolved_person_id', '=', personId).execute();
    const r = await db.deleteFrom('legacy_accounts').where('person_id', '=', personId).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
