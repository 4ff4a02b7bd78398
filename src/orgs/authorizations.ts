// Agent authorisations: grant (or renew), accept or decline, give up (the agent), revoke. Every
// change is audited in the transaction that makes it. A revocation or a giving-up ends the org
// contexts resting on the authorisation in that same transaction, so no caller can forget it.
// Expiry needs no change here: every check compares valid_until with the clock, and the sweep
// (sweep.ts) ends the contexts afterwards.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { personStore } from '../accounts/store.ts';
import type { Person } from '../accounts/person.ts';
import { orgStore, authorizationStore, type AuthorizationRow } from './store.ts';
import { defaultUntil, endOfDayCst, isGrantableRole, lastDayCst, MAX_VALIDITY_DAYS, toAuthorization, toOrg, type Authorization, type Org } from './org.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { isUuid, maskedId, notLegalRep, personByIdNumber, unknownOrg, usccOrThrow } from './lookups.ts';
import { endAuthorizationContexts, type EndResult } from './contexts.ts';

const DAY_MS = 86_400_000;

interface GrantInput {
  uscc: string;
  agentIdNumber: string;
  /** last valid day, YYYY-MM-DD (Beijing time); default one year */
  until?: string | null;
  role?: string | null;
  /** self-service: the agent's name must match the ID number */
  agentName?: string | null;
}

interface Grantor {
  /** `cli:NAME` or the legal representative's sub */
  actor: string;
  /** set when the legal representative grants (self-service): must be the org's representative */
  legalRep?: Person;
  /** active at once (an administrator recording a signed power of attorney) or pending acceptance */
  activate: boolean;
  ip?: string | null;
}

function untilOrThrow(raw: string | null | undefined, now: Date): Date {
  if (raw === undefined || raw === null || raw.trim() === '') return defaultUntil(now);
  const until = endOfDayCst(raw);
  if (!until) throw new AppError('org.until_invalid');
  if (until.getTime() <= now.getTime()) throw new AppError('org.until_past');
  if (until.getTime() - now.getTime() > MAX_VALIDITY_DAYS * DAY_MS) throw new AppError('org.until_too_far');
  return until;
}

/** Self-service names the agent by ID number and name: an unknown number and a wrong name give one answer. */
async function agentByIdNumberAndName(app: AppContext, idNumber: string, rawName: string): Promise<Person> {
  const name = rawName.normalize('NFKC').trim();
  if (!name) throw new AppError('org.agent_name_missing');
  const found = await personByIdNumber(app, idNumber).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'org.person_unknown') return null;
    throw err;
  });
  if (!found || found.name !== name) throw new AppError('org.agent_not_found', 'not_found');
  return found;
}

export type GrantField = 'id_number' | 'name' | 'until';

/**
 * What is wrong with each field of the legal representative's grant form, found without looking
 * anything up, so that the form can show every such mistake at once (grantAuthorization checks
 * the same again).
 */
export function grantFormErrors(input: { agentIdNumber: string; agentName: string; until: string }, now = new Date()): Partial<Record<GrantField, string>> {
  const errors: Partial<Record<GrantField, string>> = {};
  const id = parseIdNumber(input.agentIdNumber);
  if (!id.ok) errors.id_number = id.error;
  if (!input.agentName.normalize('NFKC').trim()) errors.name = 'org.agent_name_missing';
  try {
    untilOrThrow(input.until, now);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    errors.until = err.code;
  }
  return errors;
}

/**
 * Grants (or renews) an agent authorisation. A renewal of a live authorisation changes its end
 * date and role; an administrator's grant also activates a pending one.
 */
export async function grantAuthorization(
  app: AppContext,
  input: GrantInput,
  grantor: Grantor,
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org; agent: Person; updated: boolean }> {
  const uscc = usccOrThrow(input.uscc);
  const role = input.role?.trim() || 'agent';
  if (!isGrantableRole(role)) throw new AppError('org.role_invalid');
  const until = untilOrThrow(input.until, now);
  const agent =
    input.agentName !== undefined && input.agentName !== null
      ? await agentByIdNumberAndName(app, input.agentIdNumber, input.agentName)
      : await personByIdNumber(app, input.agentIdNumber);
  if (agent.status !== 'active') throw new AppError('org.person_inactive');

  const outcome = await app.db.transaction().execute(async (trx) => {
    const orgRow = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!orgRow) throw unknownOrg();
    if (grantor.legalRep && orgRow.legal_rep_person_id !== grantor.legalRep.id) return { kind: 'denied', denied: orgRow } as const;
    if (orgRow.status !== 'active') throw new AppError('org.inactive', 'conflict');
    if (orgRow.legal_rep_person_id === agent.id) throw new AppError('org.agent_is_legal_rep', 'conflict');
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
        event: 'org.grant.create',
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
      event: 'org.grant.create',
      outcome: 'denied',
      actor: grantor.actor,
      ip: grantor.ip ?? null,
      detail: { org_id: outcome.denied.id, uscc, agent_id: maskedId(agent), reason: 'not_legal_representative' },
    });
    throw notLegalRep();
  }
  return { authorization: toAuthorization(outcome.row), org: toOrg(outcome.orgRow), agent, updated: outcome.updated };
}


/** The agent accepts (or declines) a pending authorisation addressed to them. */
export async function answerAuthorization(
  app: AppContext,
  person: Person,
  authorizationId: string,
  answer: 'accept' | 'decline',
  meta: { ip?: string | null } = {},
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org }> {
  if (!isUuid(authorizationId)) throw new AppError('org.authorization_unknown', 'not_found');
  return app.db.transaction().execute(async (trx) => {
    const row = await authorizationStore.byId(trx, authorizationId, { forUpdate: true });
    if (!row || row.person_id !== person.id) throw new AppError('org.authorization_unknown', 'not_found');
    if (row.status !== 'pending') throw new AppError('org.authorization_not_pending', 'conflict');
    const orgRow = (await orgStore.byId(trx, row.org_id))!;
    if (answer === 'accept') {
      if (row.valid_until.getTime() <= now.getTime()) throw new AppError('org.authorization_expired', 'conflict');
      if (orgRow.status !== 'active') throw new AppError('org.inactive', 'conflict');
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

interface Revoker {
  actor: string;
  legalRep?: Person;
  ip?: string | null;
}

/**
 * Revokes the live authorisation of an agent, selected by ID number (administrator) or by
 * authorisation id (the legal representative's page), and ends the org contexts resting on it.
 * The row is marked ended at once, so the expiry sweep leaves it alone.
 */
export async function revokeAuthorization(
  app: AppContext,
  sel: { uscc: string; agentIdNumber?: string; authorizationId?: string },
  revoker: Revoker,
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org; ended: EndResult }> {
  const uscc = usccOrThrow(sel.uscc);
  const agent = sel.agentIdNumber !== undefined ? await personByIdNumber(app, sel.agentIdNumber) : null;
  const outcome = await app.db.transaction().execute(async (trx) => {
    const orgRow = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!orgRow) throw unknownOrg();
    if (revoker.legalRep && orgRow.legal_rep_person_id !== revoker.legalRep.id) return { kind: 'denied', denied: orgRow } as const;
    let live: AuthorizationRow | undefined;
    if (agent) live = await authorizationStore.live(trx, orgRow.id, agent.id, { forUpdate: true });
    else if (sel.authorizationId && isUuid(sel.authorizationId)) {
      const row = await authorizationStore.byId(trx, sel.authorizationId, { forUpdate: true });
      live = row && row.org_id === orgRow.id && (row.status === 'pending' || row.status === 'active') ? row : undefined;
    }
    if (!live) throw new AppError('org.authorization_unknown', 'not_found');
    const row = (await authorizationStore.update(trx, live.id, { status: 'revoked', revoked_at: now, revoked_by: revoker.actor, ended_at: now }))!;
    const person = agent ?? (await personStore.byId(trx, live.person_id));
    await app.audit.append(
      {
        event: 'org.grant.revoke',
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
    const ended = await endAuthorizationContexts(app, trx, row.id, 'revoked', revoker.actor);
    return { kind: 'done', row, orgRow, ended } as const;
  });
  if (outcome.kind === 'denied') {
    await app.audit.append({
      event: 'org.grant.revoke',
      outcome: 'denied',
      actor: revoker.actor,
      ip: revoker.ip ?? null,
      detail: { org_id: outcome.denied.id, uscc, reason: 'not_legal_representative' },
    });
    throw notLegalRep();
  }
  return { authorization: toAuthorization(outcome.row), org: toOrg(outcome.orgRow), ended: outcome.ended };
}

export { relinquishAuthorization } from './relinquish.ts';
