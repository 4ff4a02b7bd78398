// legacy_uid (openid scope): delivered only to a client bound to a department, and only when the
// person has a legacy account in that department. Other clients never learn other departments' ids.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { legacyAccountStore } from './account-store.ts';

export async function legacyUidClaims(app: AppContext, person: Person, oidc: KoaContextWithOIDC['oidc']): Promise<Record<string, unknown>> {
  const clientId = oidc.client?.clientId;
  if (!clientId) return {};
  const department = (await loadClientMetadata(app, clientId))?.yitong_department;
  if (typeof department !== 'string' || !department) return {};
  const uid = await legacyAccountStore.uidFor(app.db, person.id, department);
  return uid ? { legacy_uid: uid } : {};
}
