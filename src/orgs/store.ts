// SQL for orgs, agent authorisations and per-grant entity contexts. Nothing else in src/orgs
// touches the database.
import { sql, type Kysely, type Selectable, type Insertable, type Updateable, type Transaction } from 'kysely';
import { insertLaidOut, rowLayout, type BulkTx } from '../db/bulk.ts';
import type { Database } from '../db/schema.ts';
import type { OrgTable, OrgAuthorizationTable, OrgEntityContextTable } from './tables.ts';

export type OrgRow = Selectable<OrgTable>;
export type AuthorizationRow = Selectable<OrgAuthorizationTable>;
export type ContextRow = Selectable<OrgEntityContextTable>;
type Q = Kysely<Database> | Transaction<Database>;

export interface AuthorizationWithOrg extends AuthorizationRow {
  org_sub: string;
  org_uscc: string;
  org_name: string;
  org_type: string;
  org_status: string;
  org_legal_rep_person_id: string;
}

export interface AuthorizationWithPerson extends AuthorizationRow {
  person_sub: string;
  person_name: string;
  person_id_number_enc: string | null;
}

const withOrg = [
  'o.sub as org_sub',
  'o.uscc as org_uscc',
  'o.name as org_name',
  'o.type as org_type',
  'o.status as org_status',
  'o.legal_rep_person_id as org_legal_rep_person_id',
] as const;

const NEW_ORG_COLUMNS = ['id', 'sub', 'uscc', 'org_code', 'name', 'type', 'legal_rep_person_id'] as const;

/** Every column a bulk-inserted org is written with (the others take their defaults). */
export type NewOrgRow = Required<Pick<Insertable<OrgTable>, (typeof NEW_ORG_COLUMNS)[number]>>;
const NEW_ORG = rowLayout(NEW_ORG_COLUMNS, (r: NewOrgRow) => [r.id, r.sub, r.uscc, r.org_code, r.name, r.type, r.legal_rep_person_id]);

export const orgStore = {
  insert(db: Q, row: Insertable<OrgTable>): Promise<OrgRow> {
    return db.insertInto('orgs').values(row).returningAll().executeTakeFirstOrThrow();
  },
  byUscc(db: Q, uscc: string, opts: { forUpdate?: boolean } = {}): Promise<OrgRow | undefined> {
    const q = db.selectFrom('orgs').selectAll().where('uscc', '=', uscc);
    return (opts.forUpdate ? q.forUpdate() : q).executeTakeFirst();
  },
  /** Set-based insert (COPY on an import's connection). */
  insertMany(tx: BulkTx, rows: readonly NewOrgRow[]): Promise<void> {
    return insertLaidOut(tx, 'orgs', NEW_ORG, rows);
  },
  /** The ids of the orgs registered under any of these USCCs, in one query. */
  async idsByUscc(db: Q, usccs: readonly string[]): Promise<{ id: string; uscc: string }[]> {
    if (!usccs.length) return [];
    const r = await sql<{ id: string; uscc: string }>`
      select id, uscc from orgs where uscc in (select value from json_array_elements_text(${JSON.stringify(usccs)}::json) as v(value))`.execute(db);
    return r.rows;
  },
  byId(db: Q, id: string): Promise<OrgRow | undefined> {
    return db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
  },
  /** One page in USCC order after `after`, optionally of one status. */
  page(db: Q, filter: { status?: string }, after: string | null, limit: number): Promise<OrgRow[]> {
    let q = db.selectFrom('orgs').selectAll().orderBy('uscc').limit(limit);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (after !== null) q = q.where('uscc', '>', after);
    return q.execute();
  },
  byOrgCode(db: Q, orgCode: string): Promise<OrgRow[]> {
    return db.selectFrom('orgs').selectAll().where('org_code', '=', orgCode).orderBy('created_at').execute();
  },
  byLegalRep(db: Q, personId: string): Promise<OrgRow[]> {
    return db.selectFrom('orgs').selectAll().where('legal_rep_person_id', '=', personId).orderBy('name').execute();
  },
  update(db: Q, id: string, patch: Updateable<OrgTable>): Promise<void> {
    return db
      .updateTable('orgs')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .execute()
      .then(() => undefined);
  },
};

export const authorizationStore = {
  insert(db: Q, row: Insertable<OrgAuthorizationTable>): Promise<AuthorizationRow> {
    return db.insertInto('org_authorizations').values(row).returningAll().executeTakeFirstOrThrow();
  },
  byId(db: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<AuthorizationRow | undefined> {
    const q = db.selectFrom('org_authorizations').selectAll().where('id', '=', id);
    return (opts.forUpdate ? q.forUpdate() : q).executeTakeFirst();
  },
  /** the pending or active authorisation of this person for this org, if any */
  live(db: Q, orgId: string, personId: string, opts: { forUpdate?: boolean } = {}): Promise<AuthorizationRow | undefined> {
    const q = db
      .selectFrom('org_authorizations')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('person_id', '=', personId)
      .where('status', 'in', ['pending', 'active']);
    return (opts.forUpdate ? q.forUpdate() : q).executeTakeFirst();
  },
  update(db: Q, id: string, patch: Updateable<OrgAuthorizationTable>): Promise<AuthorizationRow | undefined> {
    return db
      .updateTable('org_authorizations')
      .set({ ...patch, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  },
  /** every authorisation of a person that ended less than `since` ago or is still live, with its org */
  forPerson(db: Q, personId: string, since: Date): Promise<AuthorizationWithOrg[]> {
    return db
      .selectFrom('org_authorizations as a')
      .innerJoin('orgs as o', 'o.id', 'a.org_id')
      .selectAll('a')
      .select(withOrg)
      .where('a.person_id', '=', personId)
      .where((eb) =>
        eb.or([
          eb('a.status', 'in', ['pending', 'active']),
          eb('a.revoked_at', '>=', since),
          eb('a.updated_at', '>=', since),
        ]),
      )
      .orderBy('o.name')
      .execute() as Promise<AuthorizationWithOrg[]>;
  },
  forOrg(db: Q, orgId: string, since: Date): Promise<AuthorizationWithPerson[]> {
    return db
      .selectFrom('org_authorizations as a')
      .innerJoin('persons as p', 'p.id', 'a.person_id')
      .selectAll('a')
      .select(['p.sub as person_sub', 'p.name as person_name', 'p.id_number_enc as person_id_number_enc'])
      .where('a.org_id', '=', orgId)
      .where((eb) => eb.or([eb('a.status', 'in', ['pending', 'active']), eb('a.updated_at', '>=', since)]))
      .orderBy('a.created_at')
      .execute();
  },
  /** the active authorisation a context rests on, if it lets the agent act at `now` */
  async usable(db: Q, id: string, orgId: string, personId: string, now: Date): Promise<boolean> {
    const row = await db
      .selectFrom('org_authorizations as a')
      .innerJoin('orgs as o', 'o.id', 'a.org_id')
      .select('a.id')
      .where('a.id', '=', id)
      .where('a.org_id', '=', orgId)
      .where('a.person_id', '=', personId)
      .where('a.status', '=', 'active')
      .where('a.valid_from', '<=', now)
      .where('a.valid_until', '>', now)
      .where('o.status', '=', 'active')
      .executeTakeFirst();
    return row !== undefined;
  },
  /**
   * Claims up to `limit` authorisations whose end (revocation, or expiry by `now`) has not been
   * carried out yet, marking them ended. Concurrent sweeps on several nodes claim disjoint rows.
   */
  claimEnded(db: Q, now: Date, limit: number): Promise<AuthorizationRow[]> {
    return db
      .updateTable('org_authorizations')
      .set({ ended_at: now })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('org_authorizations')
          .select('id')
          .where('ended_at', 'is', null)
          .where((w) => w.or([w('status', '=', 'revoked'), w.and([w('status', '=', 'active'), w('valid_until', '<=', now)])]))
          .orderBy('valid_until')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .where('ended_at', 'is', null)
      .returningAll()
      .execute();
  },
  /** pending authorisations past their end: nothing to carry out, just mark them */
  async markExpiredPending(db: Q, now: Date): Promise<number> {
    const res = await db
      .updateTable('org_authorizations')
      .set({ ended_at: now })
      .where('status', '=', 'pending')
      .where('valid_until', '<=', now)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  },
};

export const contextStore = {
  /** records (or replaces) the acting entity of a grant */
  upsert(db: Q, row: Insertable<OrgEntityContextTable>): Promise<void> {
    return db
      .insertInto('org_entity_contexts')
      .values(row)
      .onConflict((oc) =>
        oc.column('grant_id').doUpdateSet({
          client_id: row.client_id,
          person_id: row.person_id,
          org_id: row.org_id ?? null,
          role: row.role ?? null,
          authorization_id: row.authorization_id ?? null,
          sid: row.sid ?? null,
          kind: row.kind,
          created_at: new Date(),
        }),
      )
      .execute()
      .then(() => undefined);
  },
  byGrant(db: Q, grantId: string): Promise<ContextRow | undefined> {
    return db.selectFrom('org_entity_contexts').selectAll().where('grant_id', '=', grantId).executeTakeFirst();
  },
  forAuthorization(db: Q, authorizationId: string): Promise<ContextRow[]> {
    return db.selectFrom('org_entity_contexts').selectAll().where('authorization_id', '=', authorizationId).execute();
  },
  forOrg(db: Q, orgId: string, opts: { personId?: string; role?: string } = {}): Promise<ContextRow[]> {
    let q = db.selectFrom('org_entity_contexts').selectAll().where('org_id', '=', orgId);
    if (opts.personId) q = q.where('person_id', '=', opts.personId);
    if (opts.role) q = q.where('role', '=', opts.role);
    return q.execute();
  },
  deleteGrants(db: Q, grantIds: string[]): Promise<void> {
    if (!grantIds.length) return Promise.resolve();
    return db
      .deleteFrom('org_entity_contexts')
      .where('grant_id', 'in', grantIds)
      .execute()
      .then(() => undefined);
  },
  olderThan(db: Q, before: Date, limit: number): Promise<ContextRow[]> {
    return db.selectFrom('org_entity_contexts').selectAll().where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
  },
};
