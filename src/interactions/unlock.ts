// Lifting a sign-in lock (counter staff, `yitong person unlock`): the same counters the login
// keeps, so the lock ends on every node at once.
import type { AppContext } from '../context.ts';
import { findPersonByIdentifier, findPersonBySub } from '../accounts/service.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { AppError } from '../errors.ts';
import { LoginThrottle } from './throttle.ts';
import { personThrottleAccounts } from './authenticate.ts';

/** The same for a person named by sub (the admin API): every identifier the person signs in with. */
export async function unlockPersonBySub(app: AppContext, sub: string, actor: string): Promise<{ sub: string; wasLocked: boolean }> {
  const person = await findPersonBySub(app, sub);
  if (!person) throw new AppError('person.unknown', 'not_found');
  const wasLocked = await new LoginThrottle(app.db, app.config.throttle).unlock(personThrottleAccounts(app, person));
  await app.audit.append({ event: 'person.unlock', outcome: 'success', actor, detail: { sub: person.sub, was_locked: wasLocked } });
  return { sub: person.sub, wasLocked };
}

export async function unlockPerson(app: AppContext, idNumber: string, actor: string): Promise<{ sub: string; maskedId: string; wasLocked: boolean }> {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new AppError(id.error);
  const maskedId = maskIdNumber(id.value);
  const person = await findPersonByIdentifier(app, id.value);
  if (!person) throw new AppError('person.unknown', 'not_found', maskedId);
  const wasLocked = await new LoginThrottle(app.db, app.config.throttle).unlock(personThrottleAccounts(app, person));
  await app.audit.append({ event: 'person.unlock', outcome: 'success', actor, detail: { sub: person.sub, id_number: maskedId, was_locked: wasLocked } });
  return { sub: person.sub, maskedId, wasLocked };
}
