// Administrative acts on a person that end their sessions: disable, sign out everywhere. Enabling
// again starts no session; the person signs in anew.
import type { AppContext } from '../context.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { AppError } from '../errors.ts';
import { endPersonSessions, type Ended } from '../logout/service.ts';
import { personStore, type PersonRow } from './store.ts';

async function personByIdNumber(app: AppContext, idNumber: string): Promise<PersonRow> {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new AppError(id.error);
  const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndexes('resident_id', id.value));
  if (!row) throw new AppError('person.unknown', 'not_found');
  return row;
}

export interface StatusChange {
  sub: string;
  status: 'active' | 'disabled';
  changed: boolean;
  ended: Ended | null;
}

async function personBySub(app: AppContext, sub: string): Promise<PersonRow> {
  const row = await personStore.bySub(app.db, sub);
  if (!row) throw new AppError('person.unknown', 'not_found');
  return row;
}

/** Disables (ending every session and grant at once, apps told) or enables a person. */
export async function setPersonStatus(app: AppContext, idNumber: string, status: 'active' | 'disabled', actor: string): Promise<StatusChange> {
  return setStatusOf(app, await personByIdNumber(app, idNumber), status, actor);
}

/** The same, for a person named by sub (the admin API; persons kept apart may have no ID number). */
export async function setPersonStatusBySub(app: AppContext, sub: string, status: 'active' | 'disabled', actor: string): Promise<StatusChange> {
  return setStatusOf(app, await personBySub(app, sub), status, actor);
}

async function setStatusOf(app: AppContext, found: PersonRow, status: 'active' | 'disabled', actor: string): Promise<StatusChange> {
  return app.db.transaction().execute(async (trx) => {
    const changed = found.status !== status;
    if (changed) await personStore.update(trx, found.id, { status, updated_at: new Date() });
    const ended = status === 'disabled' ? await endPersonSessions(app, trx, found.sub, 'person.disable', actor) : null;
    await app.audit.append({ event: status === 'disabled' ? 'person.disable' : 'person.enable', outcome: 'success', actor, detail: { sub: found.sub, changed } }, trx);
    return { sub: found.sub, status, changed, ended };
  });
}

/** Ends every session and grant of a person (a stolen phone, a departing clerk). */
export async function logoutPerson(app: AppContext, idNumber: string, actor: string): Promise<{ sub: string; ended: Ended }> {
  return logoutOf(app, await personByIdNumber(app, idNumber), actor);
}

export async function logoutPersonBySub(app: AppContext, sub: string, actor: string): Promise<{ sub: string; ended: Ended }> {
  return logoutOf(app, await personBySub(app, sub), actor);
}

async function logoutOf(app: AppContext, found: PersonRow, actor: string): Promise<{ sub: string; ended: Ended }> {
  const ended = await app.db.transaction().execute((trx) => endPersonSessions(app, trx, found.sub, 'person.logout', actor));
  return { sub: found.sub, ended };
}
