// What a person may act as right now: themselves, the legal representative of an org, or an agent
// under a usable authorisation; and, to explain, the orgs they have a recent tie to but cannot act
// for. Read by the select_entity prompt, the token exchange and "我的单位".
import type { AppContext } from '../context.ts';
import { parseUscc } from '../identity/uscc.ts';
import { orgStore, authorizationStore, type AuthorizationWithOrg } from './store.ts';
import { authorizationState, orgOfJoined, recentSince, toAuthorization, toOrg, type Authorization, type Org, type OrgRole, type Unusable } from './org.ts';

/** Something the person can act as in an org right now. */
export interface EntityOption {
  org: Org;
  role: OrgRole;
  /** the agent authorisation (null for the legal representative) */
  authorizationId: string | null;
  /** end of validity (null for the legal representative: while in office) */
  validUntil: Date | null;
}

export interface EntityOptions {
  usable: EntityOption[];
  /** orgs the person has a recent or pending tie to but cannot act for now, with the reason */
  unusable: { org: Org; reason: Unusable; authorization: Authorization | null }[];
  /** pending authorisations the person can accept */
  pending: { org: Org; authorization: Authorization }[];
}

export async function entityOptions(app: AppContext, personId: string, now = new Date()): Promise<EntityOptions> {
  const since = recentSince(now);
  const [repOrgs, auths] = await Promise.all([orgStore.byLegalRep(app.db, personId), authorizationStore.forPerson(app.db, personId, since)]);
  const usable: EntityOptions['usable'] = [];
  const unusable: EntityOptions['unusable'] = [];
  const pending: EntityOptions['pending'] = [];
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
