// SQL for oidc-provider's persisted models: one table, keyed by (model, id).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
}

export interface PayloadIndexes {
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
}

const live = sql<boolean>`(expires_at is null or expires_at > now())`;

export const payloadStore = {
  async upsert(db: Kysely<Database>, model: string, id: string, payload: object, expiresAt: Date | null, ix: PayloadIndexes) {
    const json = JSON.stringify(payload);
    await db
      .insertInto('oidc_payloads')
      .values({ model, id, payload: json, grant_id: ix.grantId ?? null, uid: ix.uid ?? null, user_code: ix.userCode ?? null, expires_at: expiresAt })
      .onConflict((oc) =>
        oc.columns(['model', 'id']).doUpdateSet({
          payload: json,
          grant_id: ix.grantId ?? null,
          uid: ix.uid ?? null,
          user_code: ix.userCode ?? null,
          expires_at: expiresAt,
        }),
      )
      .execute();
  },

  find(db: Kysely<Database>, model: string, id: string): Promise<StoredPayload | undefined> {
    return db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('model', '=', model)
      .where('id', '=', id)
      .where(live)
      .executeTakeFirst();
  },

  findBy(db: Kysely<Database>, model: string, column: 'uid' | 'user_code', value: string): Promise<StoredPayload | undefined> {
    return db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('model', '=', model)
      .where(column, '=', value)
      .where(live)
      .executeTakeFirst();
  },

  async destroy(db: Kysely<Database>, model: string, id: string) {
    await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
  },

  async revokeByGrantId(db: Kysely<Database>, model: string, grantId: string) {
    await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).where('model', '=', model).execute();
  },

  /** Everything a grant issued, and the grant itself. */
  async revokeGrant(db: Kysely<Database>, grantId: string) {
    await db
      .deleteFrom('oidc_payloads')
      .where((eb) => eb.or([eb('grant_id', '=', grantId), eb.and([eb('model', '=', 'Grant'), eb('id', '=', grantId)])]))
      .execute();
  },

  /**
   * Marks a code or token consumed, atomically: of N parallel redemptions exactly one gets a row.
   * Returns the grant id when this call consumed it, null when it was consumed already.
   */
  async consumeOnce(db: Kysely<Database>, model: string, id: string): Promise<{ consumed: boolean; grantId: string | null }> {
    const row = await db
      .updateTable('oidc_payloads')
      .set({ consumed_at: sql`now()` })
      .where('model', '=', model)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .returning('grant_id')
      .executeTakeFirst();
    if (row) return { consumed: true, grantId: row.grant_id };
    const existing = await db.selectFrom('oidc_payloads').select('grant_id').where('model', '=', model).where('id', '=', id).executeTakeFirst();
    return { consumed: false, grantId: existing?.grant_id ?? null };
  },

  /** Deletes expired rows in small batches so a large backlog never holds long locks. */
  async purgeExpired(db: Kysely<Database>, batch = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const res = await sql`
        delete from oidc_payloads where ctid in (
          select ctid from oidc_payloads where expires_at < now() limit ${batch}
        )`.execute(db);
      const n = Number(res.numAffectedRows ?? 0n);
      total += n;
      if (n < batch) return total;
    }
  },
};
