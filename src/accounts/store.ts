// SQL for persons. Personal fields arrive and leave sealed; the service seals and opens them.
import { sql, type Kysely, type Selectable, type Insertable, type Updateable, type Transaction } from 'kysely';
import { insertLaidOut, rowLayout, type BulkTx } from '../db/bulk.ts';
import type { Database } from '../db/schema.ts';
import { allColumns } from '../db/columns.ts';
import { forgetRequestCache, oncePerRequest } from '../http/request-scope.ts';
import type { PersonTable } from './tables.ts';

export type PersonRow = Selectable<PersonTable>;
type Q = Kysely<Database> | Transaction<Database>;
/** one blind index, or every index a value may have while a reseal runs (Keyring.blindIndexes) */
type BlindIndexes = string | readonly string[];
const anyOf = (b: BlindIndexes): readonly string[] => (typeof b === 'string' ? [b] : b);

const NEW_PERSON_COLUMNS = [
  'id',
  'sub',
  'id_type',
  'id_number_enc',
  'id_number_bidx',
  'name',
  'phone_enc',
  'phone_bidx',
  'phone_verified',
  'email_enc',
  'email_bidx',
  'password_hash',
  'password_changed_at',
  'real_name_level',
] as const;

/** every column, named (not `select *`) so the hot reads stay prepared: src/db/columns.ts */
const PERSON = allColumns<PersonTable>({
  id: 1,
  sub: 1,
  id_type: 1,
  id_number_enc: 1,
  id_number_bidx: 1,
  name: 1,
  phone_enc: 1,
  phone_bidx: 1,
  phone_verified: 1,
  email_enc: 1,
  email_bidx: 1,
  email_verified: 1,
  password_hash: 1,
  password_changed_at: 1,
  real_name_level: 1,
  status: 1,
  created_at: 1,
  updated_at: 1,
});

/** Every column a new person is written with (the others take their defaults). */
export type NewPersonRow = Required<Pick<Insertable<PersonTable>, (typeof NEW_PERSON_COLUMNS)[number]>>;

const NEW_PERSON = rowLayout(NEW_PERSON_COLUMNS, (r: NewPersonRow) => [
  r.id,
  r.sub,
  r.id_type,
  r.id_number_enc,
  r.id_number_bidx,
  r.name,
  r.phone_enc,
  r.phone_bidx,
  r.phone_verified,
  r.email_enc,
  r.email_bidx,
  r.password_hash,
  r.password_changed_at,
  r.real_name_level,
]);

/** A person holding one of the ID numbers looked up, with what an import may still fill in. */
export interface IdNumberMatch {
  id: string;
  id_type: string;
  id_number_bidx: string;
  name: string;
  has_phone: boolean;
  has_email: boolean;
}

/** Values for a person's empty name, phone and e-mail; null where there is nothing to give. */
export interface PersonFill {
  id: string;
  name: string | null;
  phone_enc: string | null;
  phone_bidx: string | null;
  email_enc: string | null;
  email_bidx: string | null;
}

export const personStore = {
  /** Set-based insert (COPY on an import's connection). Only the accounts service creates persons. */
  insertMany(tx: BulkTx, rows: readonly NewPersonRow[]): Promise<void> {
    forgetRequestCache();
    return insertLaidOut(tx, 'persons', NEW_PERSON, rows);
  },
  /** Read once per protocol request outside transactions (an SSO authorization asks for it in several places). */
  bySub(db: Q, sub: string): Promise<PersonRow | undefined> {
    const read = () => db.selectFrom('persons').select(PERSON).where('sub', '=', sub).executeTakeFirst();
    return db.isTransaction ? read() : oncePerRequest(`person:${sub}`, read);
  },
  /** persons whose verified phone has this blind index, up to two (exactly one is an answer) */
  byVerifiedPhone(db: Q, phoneBidx: BlindIndexes): Promise<PersonRow[]> {
    return db.selectFrom('persons').select(PERSON).where('phone_bidx', 'in', anyOf(phoneBidx)).where('phone_verified', '=', true).limit(2).execute();
  },
  byId(db: Q, id: string): Promise<PersonRow | undefined> {
    return db.selectFrom('persons').select(PERSON).where('id', '=', id).executeTakeFirst();
  },
  byIdNumberIndex(db: Q, idType: string, bidx: BlindIndexes): Promise<PersonRow | undefined> {
    return db.selectFrom('persons').select(PERSON).where('id_type', '=', idType).where('id_number_bidx', 'in', anyOf(bidx)).executeTakeFirst();
  },
  /** The persons holding any of these ID numbers (document type and blind index), in one query. */
  async byIdNumberIndexes(db: Q, keys: readonly { idType: string; bidx: string }[]): Promise<IdNumberMatch[]> {
    if (!keys.length) return [];
    // one JSON parameter, whatever the batch's size (a statement takes at most 65535 parameters)
    const r = await sql<IdNumberMatch>`
      select p.id, p.id_type, p.id_number_bidx, p.name, p.phone_bidx is not null as has_phone, p.email_bidx is not null as has_email
        from json_to_recordset(${JSON.stringify(keys.map((k) => ({ t: k.idType, b: k.bidx })))}::json) as k(t text, b text)
        join persons p on p.id_type = k.t and p.id_number_bidx = k.b and p.id_number_bidx is not null`.execute(db);
    return r.rows;
  },
  /** up to two rows, so the caller can tell "exactly one" from "ambiguous" */
  byContactIndex(db: Q, column: 'phone_bidx' | 'email_bidx', bidx: BlindIndexes): Promise<PersonRow[]> {
    return db.selectFrom('persons').select(PERSON).where(column, 'in', anyOf(bidx)).limit(2).execute();
  },
  /** every person (up to `limit`) whose phone or e-mail has this blind index: an administrator's exact search */
  listByContactIndex(db: Q, column: 'phone_bidx' | 'email_bidx', bidx: BlindIndexes, limit: number): Promise<PersonRow[]> {
    return db.selectFrom('persons').select(PERSON).where(column, 'in', anyOf(bidx)).orderBy('created_at').orderBy('id').limit(limit).execute();
  },
  update(db: Q, id: string, patch: Updateable<PersonTable>): Promise<void> {
    forgetRequestCache();
    return db
      .updateTable('persons')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .execute()
      .then(() => undefined);
  },
  /** Fills only fields still empty, re-checked against each row as it is now; set fields are kept. */
  async fillEmpty(db: Q, fills: readonly PersonFill[]): Promise<void> {
    if (!fills.length) return;
    forgetRequestCache();
    await sql`
      update persons p set
          name = case when p.name = '' and v.name is not null then v.name else p.name end,
          phone_enc = case when p.phone_bidx is null and v.phone_bidx is not null then v.phone_enc else p.phone_enc end,
          phone_bidx = coalesce(p.phone_bidx, v.phone_bidx),
          email_enc = case when p.email_bidx is null and v.email_bidx is not null then v.email_enc else p.email_enc end,
          email_bidx = coalesce(p.email_bidx, v.email_bidx),
          updated_at = now()
        from json_to_recordset(${JSON.stringify(fills)}::json) as v(id uuid, name text, phone_enc text, phone_bidx text, email_enc text, email_bidx text)
       where p.id = v.id`.execute(db);
  },
};
