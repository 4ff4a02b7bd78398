// SQL for second factors and session levels. Single-use things (a TOTP time step, a recovery
// code, a WebAuthn challenge) are claimed with one conditional statement, so two nodes racing on
// the same code cannot both win.
import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { allColumns } from '../db/columns.ts';
import type { LevelRecord, PasskeyTable, TotpTable } from './tables.ts';

type Q = Kysely<Database> | Transaction<Database>;
export type TotpRow = Selectable<TotpTable>;
export type PasskeyRow = Selectable<PasskeyTable>;
const COLUMNS = allColumns<TotpTable>({ person_id: 1, secret_enc: 1, confirmed_at: 1, last_step: 1, created_at: 1 });

export const totpStore = {
  byPerson(db: Q, personId: string): Promise<TotpRow | undefined> {
    return db.selectFrom('mfa_totp').select(COLUMNS).where('person_id', '=', personId).executeTakeFirst();
  },
  /** A new pending secret (replacing a pending one; never an active one). False when one is active. */
  async putPending(db: Q, personId: string, secretEnc: string): Promise<boolean> {
    const r = await db
      .insertInto('mfa_totp')
      .values({ person_id: personId, secret_enc: secretEnc })
      .onConflict((oc) => oc.column('person_id').doUpdateSet({ secret_enc: secretEnc, created_at: new Date(), last_step: null }).where('mfa_totp.confirmed_at', 'is', null))
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  },
  /**
   * Claims a time step: succeeds only when it is newer than every step accepted before (and the
   * enrolment is in the expected state). The one statement that decides a replay, on any node.
   */
  async claimStep(db: Q, personId: string, step: number, confirm: boolean): Promise<boolean> {
    const r = await db
      .updateTable('mfa_totp')
      .set({ last_step: step, ...(confirm ? { confirmed_at: new Date() } : {}) })
      .where('person_id', '=', personId)
      .where('confirmed_at', confirm ? 'is' : 'is not', null)
      .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  async remove(db: Q, personId: string): Promise<boolean> {
    const r = await db.deleteFrom('mfa_totp').where('person_id', '=', personId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },
};

/** The choice of SMS codes as a second factor: a row while it is on. */
export const smsStore = {
  async chosen(db: Q, personId: string): Promise<boolean> {
    return Boolean(await db.selectFrom('mfa_sms').select('person_id').where('person_id', '=', personId).executeTakeFirst());
  },
  async enable(db: Q, personId: string): Promise<void> {
    await db.insertInto('mfa_sms').values({ person_id: personId }).onConflict((oc) => oc.column('person_id').doNothing()).execute();
  },
  async remove(db: Q, personId: string): Promise<boolean> {
    const r = await db.deleteFrom('mfa_sms').where('person_id', '=', personId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },
};

export const recoveryStore = {
  async replace(db: Q, personId: string, hashes: string[]): Promise<void> {
    await db.deleteFrom('mfa_recovery_codes').where('person_id', '=', personId).execute();
    if (hashes.length) {
      await db
        .insertInto('mfa_recovery_codes')
        .values(hashes.map((h) => ({ id: crypto.randomUUID(), person_id: personId, code_hash: h })))
        .execute();
    }
  },
  /** Marks an unused code used; false when there is none (wrong, or already used). */
  /** `hashes`: the code under every blind-index key it may have been stored with (Keyring.lastingIndexes) */
  async use(db: Q, personId: string, hashes: readonly string[]): Promise<boolean> {
    const r = await db
      .updateTable('mfa_recovery_codes')
      .set({ used_at: new Date() })
      .where('person_id', '=', personId)
      .where('code_hash', 'in', hashes)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  async remaining(db: Q, personId: string): Promise<number> {
    const r = await db
      .selectFrom('mfa_recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('person_id', '=', personId)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
  /** Deletes every code, used or not; how many were still unused. */
  async removeAll(db: Q, personId: string): Promise<number> {
    const rows = await db.deleteFrom('mfa_recovery_codes').where('person_id', '=', personId).returning('used_at').execute();
    return rows.filter((r) => r.used_at === null).length;
  },
};

export const passkeyStore = {
  byPerson(db: Q, personId: string): Promise<PasskeyRow[]> {
    return db.selectFrom('mfa_passkeys').selectAll().where('person_id', '=', personId).orderBy('created_at').execute();
  },
  byCredentialId(db: Q, credentialId: string): Promise<PasskeyRow | undefined> {
    return db.selectFrom('mfa_passkeys').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  },
  async insert(db: Q, row: { id: string; person_id: string; credential_id: string; public_key: string; counter: number; transports: string[]; device_type: string; backed_up: boolean; name: string; aaguid: string | null }): Promise<void> {
    await db
      .insertInto('mfa_passkeys')
      .values({ ...row, transports: JSON.stringify(row.transports) })
      .execute();
  },
  /**
   * Records a use. A counter that does not grow (when the authenticator keeps one, i.e. it is not
   * 0) is refused: a cloned authenticator, or an assertion replayed (single-use challenges stop
   * the latter anyway).
   */
  async recordUse(db: Q, id: string, oldCounter: number, newCounter: number): Promise<boolean> {
    const r = await db
      .updateTable('mfa_passkeys')
      .set({ counter: newCounter, last_used_at: new Date() })
      .where('id', '=', id)
      .where('counter', '=', oldCounter)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  },
  async remove(db: Q, personId: string, id: string): Promise<boolean> {
    const r = await db.deleteFrom('mfa_passkeys').where('person_id', '=', personId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  },
  async removeAll(db: Q, personId: string): Promise<number> {
    const r = await db.deleteFrom('mfa_passkeys').where('person_id', '=', personId).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};

export const challengeStore = {
  async insert(db: Q, row: { challenge: string; purpose: string; binding: string; person_id: string | null; expires_at: Date }): Promise<void> {
    await db.insertInto('mfa_challenges').values(row).execute();
  },
  /** Takes a challenge (it is gone afterwards): the row when it was issued for this purpose and binding and is still valid. */
  take(db: Q, challenge: string, purpose: string, binding: string) {
    return db
      .deleteFrom('mfa_challenges')
      .where('challenge', '=', challenge)
      .where('purpose', '=', purpose)
      .where('binding', '=', binding)
      .where('expires_at', '>', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
  },
  async purgeExpired(db: Q): Promise<number> {
    const r = await db.deleteFrom('mfa_challenges').where('expires_at', '<=', sql<Date>`now()`).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};

export const levelStore = {
  async get(db: Q, sessionUid: string): Promise<{ accountId: string; levels: LevelRecord } | undefined> {
    const row = await db.selectFrom('mfa_session_levels').select(['account_id', 'levels']).where('session_uid', '=', sessionUid).executeTakeFirst();
    return row ? { accountId: row.account_id, levels: row.levels } : undefined;
  },
  async put(db: Q, sessionUid: string, accountId: string, levels: LevelRecord): Promise<void> {
    const json = JSON.stringify(levels);
    await db
      .insertInto('mfa_session_levels')
      .values({ session_uid: sessionUid, account_id: accountId, levels: json })
      .onConflict((oc) => oc.column('session_uid').doUpdateSet({ account_id: accountId, levels: json, updated_at: new Date() }))
      .execute();
  },
  async removeAccount(db: Q, accountId: string): Promise<void> {
    await db.deleteFrom('mfa_session_levels').where('account_id', '=', accountId).execute();
  },
  async purgeOlderThan(db: Q, seconds: number): Promise<number> {
    const r = await db
      .deleteFrom('mfa_session_levels')
      .where('updated_at', '<', sql<Date>`now() - (${seconds}::int * interval '1 second')`)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};

/** Which second factors a person has (one query, on every sign-in of a person). */
export async function factorSummary(db: Q, personId: string): Promise<{ totp: boolean; passkeys: number; recoveryCodes: number }> {
  const r = await sql<{ totp: boolean; passkeys: number; codes: number }>`
    select
      exists (select 1 from mfa_totp where person_id = ${personId} and confirmed_at is not null) as totp,
      (select count(*) from mfa_passkeys where person_id = ${personId})::int as passkeys,
      (select count(*) from mfa_recovery_codes where person_id = ${personId} and used_at is null)::int as codes`.execute(db);
  const row = r.rows[0];
  return { totp: Boolean(row?.totp), passkeys: Number(row?.passkeys ?? 0), recoveryCodes: Number(row?.codes ?? 0) };
}

/**
 * Second factors of erased accounts (注销): the erasure keeps the person row as a tombstone, so
 * nothing cascades; housekeeping removes what reached the person. Counts the rows removed.
 */
export async function purgeErased(db: Q, erasedStatus: string): Promise<number> {
  const erased = db.selectFrom('persons').select('id').where('status', '=', erasedStatus);
  let n = 0;
  for (const table of ['mfa_totp', 'mfa_recovery_codes', 'mfa_passkeys', 'mfa_sms'] as const) {
    const r = await db.deleteFrom(table).where('person_id', 'in', erased).executeTakeFirst();
    n += Number(r.numDeletedRows);
  }
  return n;
}
