// "已授权应用": the apps the person has granted access to (one row per app, whatever the number of
// grants behind it), and revoking one: every token its grants issued dies at once and the app is
// told over the back channel (logout service); the person's Yitong sessions stay.
import type { AppContext } from '../context.ts';
import { payloadStore } from '../oidc/payload-store.ts';
import { clientStore } from '../clients/store.ts';
import { departmentStore } from '../departments/store.ts';
import { endPersonClientGrants } from '../logout/service.ts';
import { AppError } from '../errors.ts';
import { portalClientId } from '../selfservice/portal.ts';
import type { SignedIn } from '../selfservice/portal.ts';

export interface AppView {
  clientId: string;
  name: string;
  department: string | null;
  scopes: string[];
  since: Date | null;
}

export async function listApps(app: AppContext, s: SignedIn): Promise<AppView[]> {
  const portal = portalClientId(app.config.issuer);
  const grants = (await payloadStore.listGrants(app.db, s.person.sub)).filter((g) => g.clientId !== portal);
  const clients = new Map((await clientStore.byIds(app.db, [...new Set(grants.map((g) => g.clientId))])).map((c) => [c.client_id, c]));
  const codes = [...new Set([...clients.values()].map((c) => c.department_code).filter((c): c is string => Boolean(c)))];
  const departments = new Map((await Promise.all(codes.map((c) => departmentStore.byCode(app.db, c)))).filter((d) => d !== undefined).map((d) => [d.code, d.name]));
  const byClient = new Map<string, AppView>();
  for (const g of grants) {
    const c = clients.get(g.clientId);
    const view = byClient.get(g.clientId) ?? {
      clientId: g.clientId,
      name: c?.name ?? g.clientId,
      department: c?.department_code ? (departments.get(c.department_code) ?? c.department_code) : null,
      scopes: [],
      since: null,
    };
    for (const scope of g.scope.split(' ').filter(Boolean)) if (!view.scopes.includes(scope)) view.scopes.push(scope);
    const at = g.iat ? new Date(g.iat * 1000) : null;
    if (at && (!view.since || at < view.since)) view.since = at;
    byClient.set(g.clientId, view);
  }
  return [...byClient.values()].sort((a, b) => (b.since?.getTime() ?? 0) - (a.since?.getTime() ?? 0));
}

export async function revokeApp(app: AppContext, s: SignedIn, clientId: string, ip: string): Promise<void> {
  if (!(await listApps(app, s)).some((a) => a.clientId === clientId)) throw new AppError('account.app.unknown', 'not_found');
  await app.db.transaction().execute(async (trx) => {
    const ended = await endPersonClientGrants(app, trx, s.person.sub, clientId, 'grant.revoke', s.person.sub);
    await app.audit.append({ event: 'grant.revoke', outcome: 'success', actor: s.person.sub, clientId, ip, detail: { by: 'person', grants: ended.grants, event_id: ended.eventId } }, trx);
  });
}
