// Registrations the population base could not check at the time (timeout, 5xx) are checked again by
// a background task on every node: due rows are claimed with a lease, checked, and either settled
// (match: the level rises to 2; mismatch or not found: recorded, the level stays 1) or put off
// with backoff (1 min doubling, at most 6 h) for up to 7 days. Every check is audited (`idv.check`).
import type { AppContext } from '../context.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { raiseRealNameLevel } from '../realname/service.ts';
import { logger } from '../log.ts';
import { maskIdNumber } from '../identity/mask.ts';
import type { IdvAnswer, IdvClient } from './client.ts';
import { recheckStore } from './store.ts';

export const RECHECK_FIRST_DELAY_SECONDS = 60;
const MAX_DELAY_SECONDS = 6 * 3600;
const GIVE_UP_DAYS = 7;
const BATCH = 20;
const LEASE_SECONDS = 120;

export function recheckDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, RECHECK_FIRST_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

/** Audits one check: match is a success, mismatch and not found failures, unavailable info. */
export async function auditIdvCheck(app: AppContext, answer: IdvAnswer, detail: { source: 'register' | 'recheck'; sub?: string | null; id_number: string }, ip?: string): Promise<void> {
  await app.audit.append({
    event: 'idv.check',
    outcome: answer.result === 'match' ? 'success' : answer.result === 'unavailable' ? 'info' : 'failure',
    actor: detail.sub ?? null,
    ip: ip ?? null,
    detail: { result: answer.result, source: detail.source, id_number: detail.id_number, attempts: answer.attempts, ms: answer.ms, ...(answer.reason ? { reason: answer.reason } : {}) },
  });
}

export async function scheduleRecheck(app: AppContext, personId: string): Promise<void> {
  await recheckStore.schedule(app.db, personId, RECHECK_FIRST_DELAY_SECONDS);
}

/** One pass over the due rechecks; returns how many were settled. */
export async function runRechecks(app: AppContext, idv: IdvClient): Promise<number> {
  const due = await recheckStore.claimDue(app.db, BATCH, LEASE_SECONDS);
  let settled = 0;
  for (const row of due) {
    const personRow = await personStore.byId(app.db, row.person_id);
    if (!personRow || personRow.status !== 'active' || personRow.real_name_level >= 2) {
      await recheckStore.done(app.db, row.person_id);
      settled++;
      continue;
    }
    const person = openPerson(app.keyring, personRow);
    const answer = await idv.check(person.idNumber ?? '', person.name);
    const masked = maskIdNumber(person.idNumber ?? '');
    await auditIdvCheck(app, answer, { source: 'recheck', sub: person.sub, id_number: masked });
    if (answer.result === 'match') {
      await raiseRealNameLevel(app, person.id, 2, 'idv', 'system:idv');
      await recheckStore.done(app.db, row.person_id);
      settled++;
    } else if (answer.result !== 'unavailable') {
      logger.warn({ sub: person.sub, result: answer.result }, 'a registration the population base could not check earlier does not match it; the level stays 1');
      await recheckStore.done(app.db, row.person_id);
      settled++;
    } else if (Date.now() - row.created_at.getTime() > GIVE_UP_DAYS * 86_400_000) {
      await app.audit.append({ event: 'idv.recheck.abandon', outcome: 'failure', actor: 'system:idv', detail: { sub: person.sub, attempts: row.attempts } });
      await recheckStore.done(app.db, row.person_id);
      settled++;
    } else {
      await recheckStore.later(app.db, row.person_id, recheckDelaySeconds(row.attempts));
    }
  }
  return settled;
}
