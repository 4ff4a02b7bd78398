// An org's authorisations as its legal representative sees them ("经办人管理") and as an
// administrator sees them (`yitong org show`): live and recently ended, ID numbers masked.
import type { AppContext } from '../context.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { personStore } from '../accounts/store.ts';
import { AAD, openPerson, type Person } from '../accounts/person.ts';
import { authorizationStore, type AuthorizationWithPerson } from './store.ts';
import { authorizationState, lastDayCst, recentSince, toAuthorization, type Authorization, type Org, type Unusable } from './org.ts';
import { maskedId, notLegalRep, requireOrg } from './lookups.ts';

interface AgentView {
  authorization: Authorization;
  personSub: string;
  name: string;
  maskedIdNumber: string;
  state: Unusable | null;
}

const maskedAgentId = (app: AppContext, r: AuthorizationWithPerson) =>
  maskIdNumber(r.person_id_number_enc ? app.keyring.open(r.person_id_number_enc, AAD.idNumber) : '');

/** The legal representative's view of an org's agents (live and recently ended). */
export async function orgAgents(app: AppContext, rep: Person, usccRaw: string, now = new Date()): Promise<{ org: Org; agents: AgentView[] }> {
  const org = await requireOrg(app, usccRaw);
  if (org.legalRepPersonId !== rep.id) throw notLegalRep();
  const rows = await authorizationStore.forOrg(app.db, org.id, recentSince(now));
  const agents = rows.map((r) => {
    const a = toAuthorization(r);
    return { authorization: a, personSub: r.person_sub, name: r.person_name, maskedIdNumber: maskedAgentId(app, r), state: authorizationState(a, org, now) };
  });
  return { org, agents };
}

/** Admin view: an org with all its authorisations. */
export async function orgDetails(app: AppContext, usccRaw: string, now = new Date()) {
  const org = await requireOrg(app, usccRaw);
  const repRow = await personStore.byId(app.db, org.legalRepPersonId);
  const rep = repRow ? openPerson(app.keyring, repRow) : null;
  const rows = await authorizationStore.forOrg(app.db, org.id, new Date(0));
  return {
    org,
    legalRep: rep ? { sub: rep.sub, name: rep.name, id_number: maskedId(rep) } : null,
    authorizations: rows.map((r) => {
      const a = toAuthorization(r);
      return {
        id: a.id,
        agent: r.person_sub,
        name: r.person_name,
        id_number: maskedAgentId(app, r),
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
