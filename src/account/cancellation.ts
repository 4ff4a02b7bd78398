// Account cancellation (注销, PIPL art. 47). A request ends every session and grant at once (apps
// told) and starts a cooling-off period (ACCOUNT_CANCEL_COOLING_OFF_DAYS, default 15). Signing in
// during it withdraws the request. When it is over, the erasure task (every node, rows locked with
// SKIP LOCKED) clears the personal data (accounts/erase.ts), removes the links to departmental
// accounts through the legacy store, ends anything left and keeps the row as a tombstone, so the
// sub is never given to anyone else. Request, withdrawal and erasure are audited.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { erasePersonalData } from '../accounts/erase.ts';
import { personStore } from '../accounts/store.ts';
import { legacyAccountStore } from '../legacy/account-store.ts';
import { entityOptions } from '../orgs/entity-options.ts';
import { payloadStore } from '../oidc/payload-store.ts';
import { endPersonSessions } from '../logout/service.ts';
import { logger } from '../log.ts';
import { cancellationStore, deviceStore, emailChangeStore, type CancellationRow } from './store.ts';

export const ERASURE_ACTOR = 'system:account';

export function pendingCancellation(app: AppContext, person: Person): Promise<CancellationRow | undefined> {
  return cancellationStore.pendingFor(app.db, person.id);
}

/** Why a person cannot ask for cancellation now, or null. */
export async function cancellationBlocked(app: AppContext, person: Person): Promise<string | null> {
  if (await cancellationStore.pendingFor(app.db, person.id)) return 'account.cancel.pending';
  // an org needs its legal representative: the org's registration changes first
  const orgs = await entityOptions(app, person.id);
  if (orgs.usable.some((o) => o.role === 'legal_representative')) return 'account.cancel.legal_rep';
  return null;
}

export async function requestCancellation(app: AppContext, person: Person, ip: string): Promise<CancellationRow> {
  const days = app.config.account.cancelCoolingOffDays;
  return app.db.transaction().execute(async (trx) => {
    const row = await cancellationStore.insert(trx, { id: crypto.randomUUID(), person_id: person.id, sub: person.sub, days });
    const ended = await endPersonSessions(app, trx, person.sub, 'account.cancel', person.sub);
    await app.audit.append(
      { event: 'account.cancel.request', outcome: 'success', actor: person.sub, ip, detail: { due_at: row.due_at.toISOString(), cooling_off_days: days, sessions_ended: ended.sessions } },
      trx,
    );
    return row;
  });
}

/**
 * A sign-in made after the request withdraws it. `loginTs` is the session's sign-in time (epoch
 * seconds); an older session (one that outlived the request) does not count. True when withdrawn.
 */
export async function withdrawOnSignIn(app: AppContext, sub: string, personId: string | null, loginTs: number | null | undefined): Promise<boolean> {
  if (!loginTs) return false;
  const id = personId ?? (await personIdOf(app, sub));
  if (!id) return false;
  const row = await cancellationStore.pendingFor(app.db, id);
  if (!row || loginTs < epochSeconds(row.requested_at)) return false;
  return app.db.transaction().execute(async (trx) => {
    if (!(await cancellationStore.end(trx, row.id, 'withdrawn'))) return false;
    await app.audit.append({ event: 'account.cancel.withdraw', outcome: 'success', actor: sub, detail: { reason: 'sign_in', requested_at: row.requested_at.toISOString() } }, trx);
    return true;
  });
}

/** The request this session's sign-in withdrew (for the notice on the next page), if any. */
export async function withdrawnBySignIn(app: AppContext, person: Person, loginTs: number | null): Promise<boolean> {
  if (!loginTs) return false;
  const row = await cancellationStore.latestFor(app.db, person.id);
  return Boolean(row && row.status === 'withdrawn' && row.ended_at && row.ended_at.getTime() >= loginTs * 1000 - 1000);
}

// loginTs has whole seconds: a sign-in in the same second as the request counts as after it (the
// request itself ended every session there was, so no older session can share that second).
const epochSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

async function personIdOf(app: AppContext, sub: string): Promise<string | null> {
  return (await personStore.bySub(app.db, sub))?.id ?? null;
}

const BATCH = 20;

/** Erases every account whose cooling-off period is over; returns how many. Safe on many nodes. */
export async function eraseDueAccounts(app: AppContext): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await app.db.transaction().execute(async (trx) => {
      const due = await cancellationStore.due(trx, BATCH);
      for (const c of due) {
        // signed in during the period but the withdrawal was not recorded (it runs beside the sign-in)
        const sessions = await payloadStore.listSessions(trx, c.sub);
        if (sessions.some((x) => x.loginTs && x.loginTs >= epochSeconds(c.requested_at))) {
          await cancellationStore.end(trx, c.id, 'withdrawn');
          await app.audit.append({ event: 'account.cancel.withdraw', outcome: 'success', actor: c.sub, detail: { reason: 'sign_in' } }, trx);
          continue;
        }
        const ended = await endPersonSessions(app, trx, c.sub, 'account.erase', ERASURE_ACTOR);
        await erasePersonalData(trx, c.person_id);
        const links = await legacyAccountStore.forgetPerson(trx, c.person_id);
        await deviceStore.deleteAccount(trx, c.sub);
        await emailChangeStore.remove(trx, c.person_id);
        await cancellationStore.end(trx, c.id, 'erased');
        await app.audit.append(
          { event: 'account.erase', outcome: 'success', actor: ERASURE_ACTOR, detail: { sub: c.sub, requested_at: c.requested_at.toISOString(), legacy_links: links, sessions_ended: ended.sessions } },
          trx,
        );
      }
      return due.length;
    });
    total += n;
    if (n) logger.info({ accounts: n }, 'cancelled accounts erased');
    if (n < BATCH) return total;
  }
}
