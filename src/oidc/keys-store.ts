import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { SigningKeyTable } from './tables.ts';

export type SigningKeyRow = Selectable<SigningKeyTable>;
type Q = Kysely<Database> | Transaction<Database>;

export const keysStore = {
  /** Serialises key generation across nodes that start at the same moment. */
  async lock(trx: Transaction<Database>) {
    await sql`select pg_advisory_xact_lock(hashtext('yitong.signing_keys'))`.execute(trx);
  },
  active(db: Q): Promise<SigningKeyRow[]> {
    return db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid').execute();
  },
  /** every key, retired ones included, newest first (for administrators) */
  all(db: Q): Promise<Pick<SigningKeyRow, 'kid' | 'alg' | 'created_at' | 'retired_at'>[]> {
    return db.selectFrom('signing_keys').select(['kid', 'alg', 'created_at', 'retired_at']).orderBy('created_at', 'desc').orderBy('kid').limit(100).execute();
  },
  async insert(db: Q, kid: string, alg: string, jwkEnc: string, createdAt: Date) {
    await db.insertInto('signing_keys').values({ kid, alg, jwk_enc: jwkEnc, created_at: createdAt }).execute();
  },
  async retire(db: Q, kids: string[]) {
    if (kids.length) await db.updateTable('signing_keys').set({ retired_at: new Date() }).where('kid', 'in', kids).execute();
  },
  /** a cheap fingerprint of the active key set, polled by servers to pick up a rotation */
  async version(db: Q): Promise<string> {
    const r = await db
      .selectFrom('signing_keys')
      .select([sql<string>`coalesce(string_agg(kid, ',' order by kid), '')`.as('v')])
      .where('retired_at', 'is', null)
      .executeTakeFirstOrThrow();
    return r.v;
  },
};
