// Authorisations end by themselves at valid_until: queries compare with the clock, so nothing has
// to run for an expired authorisation to stop working. The sweep carries out what should follow
// (revoke the grants of the org contexts resting on it, back-channel logout at the apps) and
// forgets entity contexts whose grants are gone. Every node runs it; rows are claimed with
// FOR UPDATE SKIP LOCKED so each end is carried out once.
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { logger } from '../log.ts';
import { authorizationStore, contextStore } from './store.ts';
import { endAuthorizationContexts } from './contexts.ts';
import { lastDayCst } from './org.ts';

export const SWEEP_EVERY_MS = 30_000;
const BATCH = 100;
/**
 * Contexts older than this are checked against their grant and forgotten when it is gone. Grants
 * live 14 days from creation (ttl.Grant), so by then nearly all are; a context whose grant ended
 * earlier (logout, revocation) is harmless meanwhile: nothing refers to its grant id any more.
 */
const CONTEXT_CHECK_AFTER_MS = 15 * 86_400_000;

interface SweepResult {
  ended: number;
  grants: number;
  queued: number;
  forgotten: number;
}

export async function sweepOrgs(app: AppContext, provider: Provider, now = new Date()): Promise<SweepResult> {
  const result: SweepResult = { ended: 0, grants: 0, queued: 0, forgotten: 0 };
  await authorizationStore.markExpiredPending(app.db, now);
  for (;;) {
    // claimed and ended in one transaction: a node that dies mid-batch leaves it for the next sweep
    const n = await app.db.transaction().execute(async (trx) => {
      const rows = await authorizationStore.claimEnded(trx, now, BATCH);
      for (const row of rows) {
        const reason = row.status === 'revoked' ? 'revoked' : 'expired';
        if (reason === 'expired') {
          await app.audit.append(
            {
              event: 'org.grant.expire',
              outcome: 'info',
              actor: 'system:orgs',
              detail: { authorization_id: row.id, org_id: row.org_id, valid_until: lastDayCst(row.valid_until) },
            },
            trx,
          );
        }
        const r = await endAuthorizationContexts(app, trx, row.id, reason, 'system:orgs');
        result.ended++;
        result.grants += r.grants;
        result.queued += r.queued;
      }
      return rows.length;
    });
    if (n < BATCH) break;
  }
  // Contexts whose grant has expired or was revoked elsewhere (logout, token reuse) are dead rows.
  const old = await contextStore.olderThan(app.db, new Date(now.getTime() - CONTEXT_CHECK_AFTER_MS), 500);
  const gone: string[] = [];
  for (const c of old) if (!(await provider.Grant.find(c.grant_id))) gone.push(c.grant_id);
  await contextStore.deleteGrants(app.db, gone);
  result.forgotten = gone.length;
  if (result.ended || result.forgotten) logger.info(result, 'org authorisations swept');
  return result;
}
