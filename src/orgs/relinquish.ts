// The agent gives up (放弃) an authorisation they hold: its own file, beside grant and revoke.
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import type { Person } from '../accounts/person.ts';
import { authorizationStore, orgStore } from './store.ts';
import { lastDayCst, toAuthorization, toOrg, type Authorization, type Org } from './org.ts';
import { isUuid } from './lookups.ts';
import { endAuthorizationContexts, type EndResult } from './contexts.ts';

/**
 * The agent gives up (放弃) an active authorisation they hold. Audited in the transaction that
 * makes the change, which also ends the org contexts resting on it, exactly as a revocation does
 * (through src/logout: grants and tokens revoked, apps told over the back channel). The legal
 * representative's own right is no authorisation: it ends only with a change of representative.
 */
export async function relinquishAuthorization(
  app: AppContext,
  person: Person,
  authorizationId: string,
  meta: { ip?: string | null } = {},
  now = new Date(),
): Promise<{ authorization: Authorization; org: Org; ended: EndResult }> {
  if (!isUuid(authorizationId)) throw new AppError('org.authorization_unknown', 'not_found');
  const outcome = await app.db.transaction().execute(async (trx) => {
    const row = await authorizationStore.byId(trx, authorizationId, { forUpdate: true });
    if (!row) throw new AppError('org.authorization_unknown', 'not_found');
    if (row.person_id !== person.id) return { kind: 'denied', orgId: row.org_id } as const;
    if (row.status !== 'active') throw new AppError('org.authorization_not_active', 'conflict');
    const orgRow = (await orgStore.byId(trx, row.org_id))!;
    const updated = (await authorizationStore.update(trx, row.id, { status: 'relinquished', ended_at: now }))!;
    await app.audit.append(
      {
        event: 'org.grant.relinquish',
        outcome: 'success',
        actor: person.sub,
        ip: meta.ip ?? null,
        detail: { org_id: orgRow.id, uscc: orgRow.uscc, authorization_id: row.id, role: row.role, valid_until: lastDayCst(row.valid_until) },
      },
      trx,
    );
    const ended = await endAuthorizationContexts(app, trx, row.id, 'relinquished', person.sub);
    return { kind: 'done', row: updated, orgRow, ended } as const;
  });
  if (outcome.kind === 'denied') {
    // someone else's authorisation: the same answer as an unknown one, and a record of the attempt
    await app.audit.append({
      event: 'org.grant.relinquish',
      outcome: 'denied',
      actor: person.sub,
      ip: meta.ip ?? null,
      detail: { org_id: outcome.orgId, authorization_id: authorizationId, reason: 'not_the_agent' },
    });
    throw new AppError('org.authorization_unknown', 'not_found');
  }
  return { authorization: toAuthorization(outcome.row), org: toOrg(outcome.orgRow), ended: outcome.ended };
}
