// "Reset MFA" for a person who lost every second factor (and their recovery codes), after their
// identity was checked at a counter or by the hotline: all second factors go, every session and
// grant of the person ends through src/logout (reason mfa.reset: apps are told over the back
// channel from the outbox), and the act is audited with who did it. The person then signs in
// with the password alone and may set up a new factor.
import type { AppContext } from '../context.ts';
import { findPersonByIdentifier } from '../accounts/service.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { AppError } from '../errors.ts';
import { endPersonSessions, type Ended } from '../logout/service.ts';
import { levelStore, passkeyStore, recoveryStore, smsStore, totpStore } from './store.ts';

export interface MfaReset {
  sub: string;
  maskedId: string;
  removed: { totp: boolean; passkeys: number; recoveryCodes: number };
  ended: Ended;
}

export async function resetMfa(app: AppContext, idNumber: string, actor: string, reason?: string): Promise<MfaReset> {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new AppError(id.error);
  const maskedId = maskIdNumber(id.value);
  const person = await findPersonByIdentifier(app, id.value);
  if (!person) throw new AppError('person.unknown', 'not_found', maskedId);
  return resetMfaOf(app, person, maskedId, actor, reason);
}

/** The same for a person already found (the admin API finds them by sub; some have no ID number). */
export async function resetMfaOf(app: AppContext, person: { id: string; sub: string }, maskedId: string, actor: string, reason?: string): Promise<MfaReset> {
  return app.db.transaction().execute(async (trx) => {
    const totp = await totpStore.remove(trx, person.id);
    const passkeys = await passkeyStore.removeAll(trx, person.id);
    const recoveryCodes = await recoveryStore.removeAll(trx, person.id);
    await smsStore.remove(trx, person.id);
    await levelStore.removeAccount(trx, person.sub);
    const ended = await endPersonSessions(app, trx, person.sub, 'mfa.reset', actor);
    await app.audit.append(
      {
        event: 'mfa.reset',
        outcome: 'success',
        actor,
        detail: { sub: person.sub, id_number: maskedId, totp, passkeys, recovery_codes: recoveryCodes, sessions_ended: ended.sessions, ...(reason ? { reason: reason.slice(0, 200) } : {}) },
      },
      trx,
    );
    return { sub: person.sub, maskedId, removed: { totp, passkeys, recoveryCodes }, ended };
  });
}
