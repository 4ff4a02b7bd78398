// An org's life: registration, change of legal representative, status (active, suspended,
// deregistered). Every change is audited in the transaction that makes it. A change that takes
// someone's right to act for the org away ends the org contexts resting on that right here, once
// the change is committed, so no caller can forget it.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { parseUscc } from '../identity/uscc.ts';
import { personStore } from '../accounts/store.ts';
import { newSub } from '../accounts/service.ts';
import { orgStore } from './store.ts';
import { isOrgType, ORG_STATUSES, orgTypeFromUscc, toOrg, type Org, type OrgStatus } from './org.ts';
import { maskedId, personByIdNumber, unknownOrg, usccOrThrow } from './lookups.ts';
import { endLegalRepContexts, endOrgContexts, NOTHING_ENDED, type EndResult } from './contexts.ts';
import { isUniqueViolation } from '../db/errors.ts';

interface NewOrg {
  uscc: string;
  name: string;
  legalRepIdNumber: string;
  type?: string | null;
}

export async function addOrg(app: AppContext, input: NewOrg, actor: string): Promise<Org> {
  const parsed = parseUscc(input.uscc);
  if (!parsed.ok) throw new AppError(parsed.error);
  const name = input.name?.normalize('NFKC').trim();
  if (!name || [...name].length > 128) throw new AppError('org.name_invalid');
  const type = input.type ? input.type.trim() : orgTypeFromUscc(parsed.value);
  if (!isOrgType(type)) throw new AppError('org.type_invalid');
  const rep = await personByIdNumber(app, input.legalRepIdNumber);
  if (rep.status !== 'active') throw new AppError('org.person_inactive');
  if (await orgStore.byUscc(app.db, parsed.value)) throw new AppError('org.exists', 'conflict', parsed.value);

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
      .catch((err: unknown) => {
        if (isUniqueViolation(err)) throw new AppError('org.exists', 'conflict', parsed.value);
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
 * Changes the legal representative and ends the previous representative's org contexts (their
 * right was implicit). Explicit agent grants stay until the new representative revokes them.
 */
export async function setLegalRep(
  app: AppContext,
  usccRaw: string,
  idNumber: string,
  actor: string,
): Promise<{ org: Org; previousPersonId: string; ended: EndResult }> {
  const uscc = usccOrThrow(usccRaw);
  const rep = await personByIdNumber(app, idNumber);
  if (rep.status !== 'active') throw new AppError('org.person_inactive');
  return app.db.transaction().execute(async (trx) => {
    const row = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!row) throw unknownOrg();
    if (row.legal_rep_person_id === rep.id) throw new AppError('org.legal_rep_unchanged', 'conflict');
    const previous = await personStore.byId(trx, row.legal_rep_person_id);
    await orgStore.update(trx, row.id, { legal_rep_person_id: rep.id });
    await app.audit.append(
      { event: 'org.legal_rep.change', outcome: 'success', actor, detail: { org_id: row.id, uscc, from: previous?.sub ?? null, to: rep.sub, to_id: maskedId(rep) } },
      trx,
    );
    const ended = await endLegalRepContexts(app, trx, row.id, row.legal_rep_person_id, actor);
    return { org: toOrg({ ...row, legal_rep_person_id: rep.id }), previousPersonId: row.legal_rep_person_id, ended };
  });
}

/** Sets an org's status; suspending or deregistering it ends every context acting for it. */
export async function setOrgStatus(
  app: AppContext,
  usccRaw: string,
  status: string,
  actor: string,
): Promise<{ org: Org; changed: boolean; ended: EndResult }> {
  const uscc = usccOrThrow(usccRaw);
  if (!(ORG_STATUSES as readonly string[]).includes(status)) throw new AppError('org.status_invalid');
  return app.db.transaction().execute(async (trx) => {
    const row = await orgStore.byUscc(trx, uscc, { forUpdate: true });
    if (!row) throw unknownOrg();
    if (row.status === status) return { org: toOrg(row), changed: false, ended: NOTHING_ENDED };
    await orgStore.update(trx, row.id, { status });
    await app.audit.append({ event: 'org.status.change', outcome: 'success', actor, detail: { org_id: row.id, uscc, from: row.status, to: status } }, trx);
    const ended = status !== 'active' ? await endOrgContexts(app, trx, row.id, actor) : NOTHING_ENDED;
    return { org: toOrg({ ...row, status: status as OrgStatus }), changed: true, ended };
  });
}
