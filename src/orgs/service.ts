// Org lifecycle and agent authorisations: registration, legal representative, status, grant,
// accept, decline, revoke; and what a person may act for right now. Every change is audited in
// the transaction that makes it. Ending the org contexts that a change invalidates (grants,
// back-channel logout) needs the provider: callers pass the result to contexts.ts.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { UserError } from '../i18n/messages.ts';
import { parseUscc } from '../identity/uscc.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { personStore } from '../accounts/store.ts';
import { AAD, openPerson, type Person } from '../accounts/person.ts';
import { newSub } from '../accounts/service.ts';
import { orgStore, authorizationStore, type OrgRow, type AuthorizationRow, type AuthorizationWithOrg } from './store.ts';
import {
  authorizationState,
  defaultUntil,
  endOfDayCst,
  isGrantableRole,
  isOrgType,
  lastDayCst,
  MAX_VALIDITY_DAYS,
  ORG_STATUSES,
  orgTypeFromUscc,
  type Authorization,
  type AuthorizationStatus,
  type Org,
  type OrgRole,
  type OrgStatus,
  type Unusable,
} from './org.ts';
import './messages.ts';

const DAY_MS = 86_400_000;
/** how long ended authorisations stay visible to their agent (pages, entity selection notices) */
export const RECENT_DAYS = 90;

export function toOrg(row: OrgRow): Org {
  return {
    id: row.id,
    sub: row.sub,
    uscc: row.uscc,
    orgCode: row.org_code,
    name: row.name,
    type: row.type,
    legalRepPersonId: row.legal_rep_person_id,
    status: row.status,
  };
}

export function toAuthorization(row: AuthorizationRow): Authorization {
  return {
    id: row.id,
    orgId: row.org_id,
    personId: row.person_id,
    role: row.role,
    status: row.status as AuthorizationStatus,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    grantedBy: row.granted_by,
    acceptedAt: row.accepted_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

function orgOfJoined(row: AuthorizationWithOrg): Org {
  return {
    id: row.org_id,
    sub: row.org_sub,
    uscc: row.org_uscc,
    orgCode: row.org_uscc.slice(8, 17),
    name: row.org_name,
    type: row.org_type,
    legalRepPersonId: row.org_legal_rep_person_id,
    status: row.org_status,
  };
}

function usccOrThrow(raw: string | null | undefined): string {
  const r = parseUscc(raw);
  if (!r.ok) throw new UserError(r.error);
  return r.value;
}

/** The person with this ID number, or a `org.person_unknown` error. */
export async function personByIdNumber(app: AppContext, raw: string | null | undefined): Promise<Person> {
  const id = parseIdNumber(raw ?? '');
  if (!id.ok) throw new UserError(id.error);
  const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndex('resident_id', id.value));
  if (!row) throw new UserError('org.person_unknown', 404, maskIdNumber(id.value));
  return openPerson(app.keyring, row);
}

export async function personById(app: AppContext, id: string): Promise<Person | null> {
  const row = await personStore.byId(app.db, id);
  return row ? openPerson(app.keyring, row) : null;
}

export async function personBySub(app: AppContext, sub: string): Promise<Person | null> {
  const row = await personStore.bySub(app.db, sub);
  return row ? openPerson(app.keyring, row) : null;
}

const maskedId = (p: Person) => maskIdNumber(p.idNumber ?? '');

export async function findOrgByUscc(app: AppContext, raw: string): Promise<Org | null> {
  const row = await orgStore.byUscc(app.db, usccOrThrow(raw));
  return row ? toOrg(row) : null;
}

export async function requireOrg(app: AppContext, raw: string): Promise<Org> {
  const org = await findOrgByUscc(app, raw);
  if (!org) throw new UserError('org.unknown', 404);
  return org;
}

export async function findOrgById(app: AppContext, id: string): Promise<Org | null> {
  const row = await orgStore.byId(app.db, id);
  return row ? toOrg(row) : null;
}

/** Orgs registered under a pre-2015 organisation code (USCC positions 9-17). */
export async function findOrgsByOrgCode(app: AppContext, orgCode: string): Promise<Org[]> {
  const code = orgCode.normalize('NFKC').replace(/[\s-]+/g, '').toUpperCase();
  return (await orgStore.byOrgCode(app.db, code)).map(toOrg);
}

export interface NewOrg {
  uscc: string;
  name: string;
  legalRepIdNumber: string;
  type?: string | null;
}

export async function addOrg(app: AppContext, input: NewOrg, actor: string): Promise<Org> {
  const parsed = parseUscc(input.uscc);
  if (!parsed.ok) throw new UserError(parsed.error);
  const name = input.name?.normalize('NFKC').trim();
  if (!name || [...name].length > 128) throw new UserError('org.name_invalid');
  const type = input.type ? input.type.trim() : orgTypeFromUscc(parsed.value);
  if (!isOrgType(type)) throw new UserError('org.type_invalid');
  const rep = await personByIdNumber(app, input.legalRepIdNumber);
  if (rep.status !== 'active') throw new UserError('org.person_inactive');
  if (await orgStore.byUscc(app.db, parsed.value)) throw new UserError('org.exists', 409, parsed.value);

  const row = await app.db.transaction().execute(async (trx) => {
    const inserted = await orgStore
      .insert(trx, {
        id: crypto.randomUUID(),
        sub: newSub(),
        uscc: parsed.value,
        org_code: parsed.orgCode,
        name,
        type,
        legal_rep_person_id: rep.id,
      })
      .catch((err: { code?: string }) => {
        if (err.code === '23505') throw new UserError('org.exists', 409, parsed.value);
        throw err;
      });
    await app.audit.append(
      { event: 'org.create', outcome: 'success', actor, detail: { org_id: inserted.id, uscc: inserted.uscc, name, type, legal_rep: rep.sub, legal_rep_id: maskedId(rep) } },
      trx,
    );
    return inserted;
  });
  return toOrg(row);
}

/**
 * Changes the legal representative. The previous representative's implicit right ends (the caller
 * ends their org contexts); explicit agent grants stay until the new representative revokes them.
 */
export async function setLegalRep(app: AppContext, usccRaw: string, idNumber: string, actor: string): Promise<{ org: Org; previousPersonId: string }> {
  const uscc = usccOrThrow(usccRaw);
  const rep = await personByIdNumber(app, idNumber);
  if (rep.status !== 'active') throw new UserError('org.person_inactive');
  return app.db.transaction().execute(async (trx) => {
    const row = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!row) throw new UserError('org.unknown', 404);
    if (row.legal_rep_person_id === rep.id) throw new UserError('org.legal_rep_unchanged', 409);
    const previous = await personStore.byId(trx, row.legal_rep_person_id);
    await orgStore.update(trx, row.id, { legal_rep_person_id: rep.id });
    await app.audit.append(
      { event: 'org.legal_rep.change', outcome: 'success', actor, detail: { org_id: row.id, uscc, from: previous?.sub ?? null, to: rep.sub, to_id: maskedId(rep) } },
      trx,
    );
    return { org: toOrg({ ...row, legal_rep_person_id: rep.id }), previousPersonId: row.legal_rep_person_id };
  });
}

export async function setOrgStatus(app: AppContext, usccRaw: string, status: string, actor: string): Promise<{ org: Org; changed: boolean }> {
  const uscc = usccOrThrow(usccRaw);
  if (!(ORG_STATUSES as readonly string[]).includes(status)) throw new UserError('org.status_invalid');
  return app.db.transaction().execute(async (trx) => {
    const row = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!row) throw new UserError('org.unknown', 404);
    if (row.status === status) return { org: toOrg(row), changed: false };
    await orgStore.update(trx, row.id, { status });
    await app.audit.append({ event: 'org.status.change', outcome: 'success', actor, detail: { org_id: row.id, uscc, from: row.status, to: status } }, trx);
    return { org: toOrg({ ...row, status: status as OrgStatus }), changed: true };
  });
}

export interface GrantInput {
  uscc: string;
  agentIdNumber: string;
  /** last valid day, YYYY-MM-DD (Beijing time); default one year */
  until?: string | null;
  role?: string | null;
  /** self-service: the agent's name must match the ID number */
  agentName?: string | null;
}

export interface Grantor {
  /** `cli:NAME` or the legal representative's sub */
  actor: string;
  /** set when the legal representative grants (self-service): must be the org's representative */
  legalRep?: Person;
  /** active at once (an administrator recording a signed power of attorney) or pending acceptance */
  activate: boolean;
  ip?: string | null;
}

export interface GrantResult {
  authorization: Authorization;
  org: Org;
  agent: Person;
  updated: boolean;
}

function untilOrThrow(raw: string | null | undefined, now: Date): Date {
  if (raw === undefined || raw === null || raw.trim() === '') return defaultUntil(now);
  const until = endOfDayCst(raw);
  if (!until) throw new UserError('org.until_invalid');
  if (until.getTime() <= now.getTime()) throw new UserError('org.until_past');
  if (until.getTime() - now.getTime() > MAX_VALIDITY_DAYS * DAY_MS) throw new UserError('org.until_too_far');
  return until;
}

/**
 * Grants (or renews) an agent authorisation. A renewal of a live authorisation changes its end
 * date and role; an administrator's grant also activates a pending one.
 */
export async function grantAuthorization(app: AppContext, input: GrantInput, grantor: Grantor, now = new Date()): Promise<GrantResult> {
  const uscc = usccOrThrow(input.uscc);
  const role = input.role?.trim() || 'agent';
  if (!isGrantableRole(role)) throw new UserError('org.role_invalid');
  const until = untilOrThrow(input.until, now);
  let agent: Person;
  if (input.agentName !== undefined && input.agentName !== null) {
    // self-service: an unknown ID number and a wrong name give the same answer
    const name = input.agentName.normalize('NFKC').trim();
    const found = await personByIdNumber(app, input.agentIdNumber).catch((err: unknown) => {
      if (err instanceof UserError && err.code === 'org.person_unknown') return null;
      throw err;
    });
    if (!found || found.name !== name) throw new UserError('org.agent_not_found', 404);
    agent = found;
  } else {
    agent = await personByIdNumber(app, input.agentIdNumber);
  }
  if (agent.status !== 'active') throw new UserError('org.person_inactive');

  const outcome = await app.db.transaction().execute(async (trx) => {
    const orgRow = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!orgRow) throw new UserError('org.unknown', 404);
    if (grantor.legalRep && orgRow.legal_rep_person_id !== grantor.legalRep.id) return { kind: 'denied', denied: orgRow } as const;
    if (orgRow.status !== 'active') throw new UserError('org.inactive', 409);
    if (orgRow.legal_rep_person_id === agent.id) throw new UserError('org.agent_is_legal_rep', 409);
    const live = await authorizationStore.live(trx, orgRow.id, agent.id, { forUpdate: true });
    let row: AuthorizationRow;
    if (live) {
      row = (await authorizationStore.update(trx, live.id, {
        role,
        valid_until: until,
        status: grantor.activate ? 'active' : live.status,
      }))!;
    } else {
      row = await authorizationStore.insert(trx, {
        id: crypto.randomUUID(),
        org_id: orgRow.id,
        person_id: agent.id,
        role,
        status: grantor.activate ? 'active' : 'pending',
        valid_from: now,
        valid_until: until,
        granted_by: grantor.actor,
        granted_by_person_id: grantor.legalRep?.id ?? null,
      });
    }
    await app.audit.append(
      {
        event: 'org.grant',
        outcome: 'success',
        actor: grantor.actor,
        ip: grantor.ip ?? null,
        detail: {
          org_id: orgRow.id,
          uscc,
          authorization_id: row.id,
          agent: agent.sub,
          agent_id: maskedId(agent),
          role,
          status: row.status,
          valid_until: lastDayCst(until),
          by: grantor.legalRep ? 'legal_representative' : 'administrator',
          renewed: Boolean(live),
        },
      },
      trx,
    );
    return { kind: 'done', row, orgRow, updated: Boolean(live) } as const;
  });
  if (outcome.kind === 'denied') {
    await app.audit.append({
      event: 'org.grant',
      outcome: 'denied',
      actor: grantor.actor,
      ip: grantor.ip ?? null,
      detail: { org_id: outcome.denied.id, uscc, agent_id: maskedId(agent), reason: 'not_legal_representative' },
    });
    throw new UserError('org.not_legal_rep', 403);
  }
  return { authorization: toAuthorization(outcome.row), org: toOrg(outcome.orgRow), agent, updated: outcome.updated };
}

export interface Revoker {
  actor: string;
  legalRep?: Person;
  ip?: string | null;
}

/**
 * Revokes the live authorisation of an agent, selected by ID number (administrator) or by
 * authorisation id (the legal representative's page). Marked ended at once: the caller ends the
 * org contexts resting on it (see contexts.ts).
 */
export async function revokeAuthorization(
  app: AppContext,
  sel: { uscc: string; agentIdNumber?: string; authorizationId?: string },
  revoker: Revoker,
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org }> {
  const uscc = usccOrThrow(sel.uscc);
  const agent = sel.agentIdNumber !== undefined ? await personByIdNumber(app, sel.agentIdNumber) : null;
  const outcome = await app.db.transaction().execute(async (trx) => {
    const orgRow = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!orgRow) throw new UserError('org.unknown', 404);
    if (revoker.legalRep && orgRow.legal_rep_person_id !== revoker.legalRep.id) return { kind: 'denied', denied: orgRow } as const;
    let live: AuthorizationRow | undefined;
    if (agent) live = await authorizationStore.live(trx, orgRow.id, agent.id, { forUpdate: true });
    else if (sel.authorizationId && isUuid(sel.authorizationId)) {
      const row = await authorizationStore.byId(trx, sel.authorizationId, { forUpdate: true });
      live = row && row.org_id === orgRow.id && (row.status === 'pending' || row.status === 'active') ? row : undefined;
    }
    if (!live) throw new UserError('org.authorization_unknown', 404);
    const row = (await authorizationStore.update(trx, live.id, { status: 'revoked', revoked_at: now, revoked_by: revoker.actor, ended_at: now }))!;
    const person = agent ?? (await personStore.byId(trx, live.person_id));
    await app.audit.append(
      {
        event: 'org.revoke',
        outcome: 'success',
        actor: revoker.actor,
        ip: revoker.ip ?? null,
        detail: {
          org_id: orgRow.id,
          uscc,
          authorization_id: row.id,
          agent: person?.sub ?? null,
          was: live.status,
          by: revoker.legalRep ? 'legal_representative' : 'administrator',
        },
      },
      trx,
    );
    return { kind: 'done', row, orgRow } as const;
  });
  if (outcome.kind === 'denied') {
    await app.audit.append({
      event: 'org.revoke',
      outcome: 'denied',
      actor: revoker.actor,
      ip: revoker.ip ?? null,
      detail: { org_id: outcome.denied.id, uscc, reason: 'not_legal_representative' },
    });
    throw new UserError('org.not_legal_rep', 403);
  }
  return { authorization: toAuthorization(outcome.row), org: toOrg(outcome.orgRow) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string) => UUID.test(v);

/** The agent accepts (or declines) a pending authorisation addressed to them. */
export async function answerAuthorization(
  app: AppContext,
  person: Person,
  authorizationId: string,
  answer: 'accept' | 'decline',
  meta: { ip?: string | null } = {},
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org }> {
  if (!isUuid(authorizationId)) throw new UserError('org.authorization_unknown', 404);
  return app.db.transaction().execute(async (trx) => {
    const row = await authorizationStore.byId(trx, authorizationId, { forUpdate: true });
    if (!row || row.person_id !== person.id) throw new UserError('org.authorization_unknown', 404);
    if (row.status !== 'pending') throw new UserError('org.authorization_not_pending', 409);
    const orgRow = (await orgStore.byId(trx, row.org_id))!;
    if (answer === 'accept') {
      if (row.valid_until.getTime() <= now.getTime()) throw new UserError('org.authorization_expired', 409);
      if (orgRow.status !== 'active') throw new UserError('org.inactive', 409);
    }
    const updated = (await authorizationStore.update(
      trx,
      row.id,
      answer === 'accept' ? { status: 'active', accepted_at: now } : { status: 'declined', ended_at: now },
    ))!;
    await app.audit.append(
      {
        event: answer === 'accept' ? 'org.grant.accept' : 'org.grant.decline',
        outcome: 'success',
        actor: person.sub,
        ip: meta.ip ?? null,
        detail: { org_id: orgRow.id, uscc: orgRow.uscc, authorization_id: row.id, role: row.role, valid_until: lastDayCst(row.valid_until) },
      },
      trx,
    );
    return { authorization: toAuthorization(updated), org: toOrg(orgRow) };
  });
}

/** Something the person can act as in an org right now. */
export interface EntityOption {
  org: Org;
  role: OrgRole;
  /** the agent authorisation (null for the legal representative) */
  authorizationId: string | null;
  /** end of validity (null for the legal representative: while in office) */
  validUntil: Date | null;
}

export interface UnusableOrg {
  org: Org;
  reason: Unusable;
  authorization: Authorization | null;
}

export interface EntityOptions {
  usable: EntityOption[];
  /** orgs the person has a recent or pending tie to but cannot act for now, with the reason */
  unusable: UnusableOrg[];
  /** pending authorisations the person can accept */
  pending: { org: Org; authorization: Authorization }[];
}

export async function entityOptions(app: AppContext, personId: string, now = new Date()): Promise<EntityOptions> {
  const since = new Date(now.getTime() - RECENT_DAYS * DAY_MS);
  const [repOrgs, auths] = await Promise.all([orgStore.byLegalRep(app.db, personId), authorizationStore.forPerson(app.db, personId, since)]);
  const usable: EntityOption[] = [];
  const unusable: UnusableOrg[] = [];
  const pending: { org: Org; authorization: Authorization }[] = [];
  const seen = new Set<string>();
  for (const row of repOrgs) {
    const org = toOrg(row);
    seen.add(org.id);
    if (org.status === 'active') usable.push({ org, role: 'legal_representative', authorizationId: null, validUntil: null });
    else unusable.push({ org, reason: 'org_inactive', authorization: null });
  }
  const byOrg = new Map<string, AuthorizationWithOrg[]>();
  for (const row of auths) {
    if (seen.has(row.org_id)) continue;
    const list = byOrg.get(row.org_id) ?? [];
    list.push(row);
    byOrg.set(row.org_id, list);
  }
  for (const rows of byOrg.values()) {
    const org = orgOfJoined(rows[0]);
    const states = rows.map((r) => ({ a: toAuthorization(r), state: authorizationState(toAuthorization(r), org, now) }));
    const ok = states.find((s) => s.state === null);
    for (const s of states) if (s.state === 'pending') pending.push({ org, authorization: s.a });
    if (ok) {
      usable.push({ org, role: ok.a.role as OrgRole, authorizationId: ok.a.id, validUntil: ok.a.validUntil });
      continue;
    }
    // the most recent tie explains why the org cannot be chosen
    const latest = states.sort((x, y) => y.a.createdAt.getTime() - x.a.createdAt.getTime())[0];
    if (latest.state === 'expired' && latest.a.validUntil.getTime() < since.getTime()) continue;
    unusable.push({ org, reason: latest.state!, authorization: latest.a });
  }
  const byName = (x: { org: Org }, y: { org: Org }) => x.org.name.localeCompare(y.org.name, 'zh-CN');
  return { usable: usable.sort(byName), unusable: unusable.sort(byName), pending: pending.sort(byName) };
}

/** The org option behind a submitted entity value (an org's USCC), if the person may act for it now. */
export async function resolveEntity(app: AppContext, personId: string, value: string, now = new Date()): Promise<EntityOption | null> {
  const parsed = parseUscc(value);
  if (!parsed.ok) return null;
  const { usable } = await entityOptions(app, personId, now);
  return usable.find((o) => o.org.uscc === parsed.value) ?? null;
}

export interface AgentView {
  authorization: Authorization;
  personSub: string;
  name: string;
  maskedIdNumber: string;
  state: Unusable | null;
}

/** The legal representative's view of an org's agents (live and recently ended). */
export async function orgAgents(app: AppContext, rep: Person, usccRaw: string, now = new Date()): Promise<{ org: Org; agents: AgentView[] }> {
  const org = await requireOrg(app, usccRaw);
  if (org.legalRepPersonId !== rep.id) throw new UserError('org.not_legal_rep', 403);
  const since = new Date(now.getTime() - RECENT_DAYS * DAY_MS);
  const rows = await authorizationStore.forOrg(app.db, org.id, since);
  const agents = rows.map((r) => {
    const a = toAuthorization(r);
    const idNumber = r.person_id_number_enc ? app.keyring.open(r.person_id_number_enc, AAD.idNumber) : '';
    return { authorization: a, personSub: r.person_sub, name: r.person_name, maskedIdNumber: maskIdNumber(idNumber), state: authorizationState(a, org, now) };
  });
  return { org, agents };
}

/** Admin view: an org with its authorisations (ID numbers masked). */
export async function orgDetails(app: AppContext, usccRaw: string, now = new Date()) {
  const org = await requireOrg(app, usccRaw);
  const rep = await personById(app, org.legalRepPersonId);
  const rows = await authorizationStore.forOrg(app.db, org.id, new Date(0));
  return {
    org,
    legalRep: rep ? { sub: rep.sub, name: rep.name, id_number: maskedId(rep) } : null,
    authorizations: rows.map((r) => {
      const a = toAuthorization(r);
      const idNumber = r.person_id_number_enc ? app.keyring.open(r.person_id_number_enc, AAD.idNumber) : '';
      return {
        id: a.id,
        agent: r.person_sub,
        name: r.person_name,
        id_number: maskIdNumber(idNumber),
        role: a.role,
        status: a.status,
        state: authorizationState(a, org, now) ?? 'active',
        valid_from: a.validFrom.toISOString(),
        valid_until: lastDayCst(a.validUntil),
        granted_by: a.grantedBy,
      };
    }),
  };
}
