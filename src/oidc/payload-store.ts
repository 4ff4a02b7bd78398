// SQL for oidc-provider's persisted models: one table, keyed by (model, id).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { forgetRequestCache } from '../http/request-scope.ts';
import { sessionRow, type GrantListing, type GrantRow, type ListedSession, type SessionListing, type SessionRow } from './sessions.ts';

export type { GrantListing, GrantRow, ListedSession, SessionAuthorizations, SessionListing, SessionRow } from './sessions.ts';

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
}

export interface PayloadIndexes {
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
  accountId?: string | null;
  clientId?: string | null;
}

const live = sql<boolean>`(expires_at is null or expires_at > now())`;

/** The models a token id may belong to; ids are random, so one id names at most one of them. */
export const TOKEN_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials'] as const;

export interface TokenWithGrant {
  model: string;
  token: StoredPayload;
  grantId: string | null;
  /** the token's grant when it is live, read in the same statement */
  grant: StoredPayload | undefined;
}

export const payloadStore = {
  async upsert(db: Kysely<Database>, model: string, id: string, payload: object, expiresAt: Date | null, ix: PayloadIndexes) {
    forgetRequestCache();
    const json = JSON.stringify(payload);
    const columns = {
      payload: json,
      grant_id: ix.grantId ?? null,
      uid: ix.uid ?? null,
      user_code: ix.userCode ?? null,
      account_id: ix.accountId ?? null,
      client_id: ix.clientId ?? null,
      expires_at: expiresAt,
    };
    await db
      .insertInto('oidc_payloads')
      .values({ model, id, ...columns })
      .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet(columns))
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

  /**
   * A token whatever its model, with its grant, in one statement: the token endpoint and the
   * resource endpoints read both on every request (introspection even tries each model in turn).
   */
  async findTokenWithGrant(db: Kysely<Database>, id: string): Promise<TokenWithGrant | undefined> {
    const row = await db
      .selectFrom('oidc_payloads as t')
      .leftJoin('oidc_payloads as g', (j) => j.on('g.model', '=', 'Grant').onRef('g.id', '=', 't.grant_id').on(sql<boolean>`(g.expires_at is null or g.expires_at > now())`))
      .select(['t.model', 't.payload', 't.consumed_at', 't.grant_id', 'g.payload as grant_payload', 'g.consumed_at as grant_consumed_at', 'g.id as grant_row_id'])
      .where('t.id', '=', id)
      .where('t.model', 'in', [...TOKEN_MODELS])
      .where(sql<boolean>`(t.expires_at is null or t.expires_at > now())`)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      model: row.model,
      token: { payload: row.payload, consumed_at: row.consumed_at },
      grantId: row.grant_id,
      grant: row.grant_row_id ? { payload: row.grant_payload as Record<string, unknown>, consumed_at: row.grant_consumed_at } : undefined,
    };
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
    forgetRequestCache();
    await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
  },

  async revokeByGrantId(db: Kysely<Database>, model: string, grantId: string) {
    forgetRequestCache();
    await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).where('model', '=', model).execute();
  },

  /** Everything a grant issued, and the grant itself. */
  async revokeGrant(db: Kysely<Database>, grantId: string) {
    forgetRequestCache();
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
    forgetRequestCache();
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

  /** The live sessions of a person (locked: the caller ends them in its transaction). */
  async sessionsOf(db: Kysely<Database>, accountId: string): Promise<SessionRow[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload'])
      .where('account_id', '=', accountId)
      .where('model', '=', 'Session')
      .forUpdate()
      .execute();
    return rows.map(sessionRow);
  },

  /** The live sessions of a person, for a listing (no locks), newest sign-in first. */
  async listSessions(db: Kysely<Database>, accountId: string): Promise<SessionListing[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload', 'expires_at'])
      .where('account_id', '=', accountId)
      .where('model', '=', 'Session')
      .where(live)
      .execute();
    return rows
      .map((r) => ({ ...sessionRow(r), loginTs: typeof r.payload.loginTs === 'number' ? r.payload.loginTs : null, expiresAt: r.expires_at }))
      .sort((a, b) => (b.loginTs ?? 0) - (a.loginTs ?? 0));
  },

  /** The live grants of a person, for a listing (no locks). */
  async listGrants(db: Kysely<Database>, accountId: string): Promise<GrantListing[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'client_id', 'payload', 'expires_at'])
      .where('model', '=', 'Grant')
      .where('account_id', '=', accountId)
      .where(live)
      .execute();
    return rows
      .filter((r) => r.client_id)
      .map((r) => ({
        id: r.id,
        clientId: r.client_id!,
        scope: String((r.payload.openid as { scope?: string } | undefined)?.scope ?? ''),
        iat: typeof r.payload.iat === 'number' ? r.payload.iat : null,
        expiresAt: r.expires_at,
      }));
  },

  /** A person's live sessions as administrators see them (no lock; newest sign-in first). */
  async sessionsListed(db: Kysely<Database>, accountId: string, limit = 100): Promise<ListedSession[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['payload', 'expires_at'])
      .where('account_id', '=', accountId)
      .where('model', '=', 'Session')
      .where(live)
      .orderBy(sql`(payload->>'loginTs')::bigint`, 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => {
      const p = r.payload;
      return {
        uid: String(p.uid ?? ''),
        loginTs: typeof p.loginTs === 'number' ? p.loginTs : null,
        acr: typeof p.acr === 'string' ? p.acr : null,
        amr: Array.isArray(p.amr) ? (p.amr as string[]) : [],
        clientIds: Object.keys((p.authorizations ?? {}) as object),
        expiresAt: r.expires_at,
      };
    });
  },

  /** One live session of a person by its stable uid, locked (the caller ends it in its transaction). */
  async sessionByUid(db: Kysely<Database>, accountId: string, uid: string): Promise<SessionRow | undefined> {
    const row = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload'])
      .where('account_id', '=', accountId)
      .where('model', '=', 'Session')
      .where('uid', '=', uid)
      .forUpdate()
      .executeTakeFirst();
    return row ? sessionRow(row) : undefined;
  },

  /** Sessions past their idle lifetime (expires_at slides with use) or their absolute one. */
  async expiredSessions(db: Kysely<Database>, maxAgeSeconds: number, limit: number): Promise<SessionRow[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload'])
      .where('model', '=', 'Session')
      .where((eb) =>
        eb.or([
          eb('expires_at', '<', sql<Date>`now()`),
          eb(sql`(payload->>'loginTs')::bigint`, '<', sql<number>`extract(epoch from now())::bigint - ${maxAgeSeconds}`),
        ]),
      )
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    return rows.map(sessionRow);
  },

  async deleteSessions(db: Kysely<Database>, ids: string[]) {
    forgetRequestCache();
    if (ids.length) await db.deleteFrom('oidc_payloads').where('model', '=', 'Session').where('id', 'in', ids).execute();
  },

  /** Grants of a person, or of an app. */
  async grantsOf(db: Kysely<Database>, owner: { accountId: string } | { clientId: string }): Promise<GrantRow[]> {
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'account_id', 'client_id'])
      .where('model', '=', 'Grant')
      .where('accountId' in owner ? 'account_id' : 'client_id', '=', 'accountId' in owner ? owner.accountId : owner.clientId)
      .execute();
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, clientId: r.client_id }));
  },

  /** The sessions of an app's users that hold one of these grants. */
  async sessionsHoldingGrants(db: Kysely<Database>, grantIds: string[]): Promise<SessionRow[]> {
    if (!grantIds.length) return [];
    const rows = await db
      .selectFrom('oidc_payloads')
      .select(['id', 'payload'])
      .where('model', '=', 'Session')
      .where(sql<boolean>`exists (select 1 from jsonb_each(payload->'authorizations') a where a.value->>'grantId' in (${sql.join(grantIds)}))`)
      .execute();
    return rows.map(sessionRow);
  },

  /** Everything these grants issued, and the grants themselves, in one statement. */
  async revokeGrants(db: Kysely<Database>, grantIds: string[]) {
    forgetRequestCache();
    if (!grantIds.length) return;
    await db
      .deleteFrom('oidc_payloads')
      .where((eb) => eb.or([eb('grant_id', 'in', grantIds), eb.and([eb('model', '=', 'Grant'), eb('id', 'in', grantIds)])]))
      .execute();
  },

  /**
   * Deletes expired rows in small batches so a large backlog never holds long locks. Expired
   * sessions are left to the session sweep when it runs (it tells their apps).
   */
  async purgeExpired(db: Kysely<Database>, keepSessions = false, batch = 1000): Promise<number> {
    forgetRequestCache();
    let total = 0;
    for (;;) {
      const res = await sql`
        delete from oidc_payloads where ctid in (
          select ctid from oidc_payloads where expires_at < now() and (model <> 'Session' or ${!keepSessions}) limit ${batch}
        )`.execute(db);
      const n = Number(res.numAffectedRows ?? 0n);
      total += n;
      if (n < batch) return total;
    }
  },
};
