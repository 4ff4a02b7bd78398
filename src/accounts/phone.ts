// Persons by verified mobile number: who may receive a code for SMS login, recovery or a second
// factor. Only a verified phone counts, and only when exactly one person has it verified.
import type { AppContext } from '../context.ts';
import { parseMobile } from '../identity/contact.ts';
import { openPerson, type Person } from './person.ts';
import { personStore } from './store.ts';

export async function findPersonByVerifiedPhone(ctx: AppContext, phone: string): Promise<Person | null> {
  const p = parseMobile(phone);
  if (!p.ok) return null;
  const rows = await personStore.byVerifiedPhone(ctx.db, ctx.keyring.blindIndexes('phone', p.value));
  return rows.length === 1 ? openPerson(ctx.keyring, rows[0]) : null;
}

/** Whether some person already has this phone verified (registration refuses a second one). */
export async function verifiedPhoneTaken(ctx: AppContext, phone: string): Promise<boolean> {
  const p = parseMobile(phone);
  if (!p.ok) return false;
  return (await personStore.byVerifiedPhone(ctx.db, ctx.keyring.blindIndexes('phone', p.value))).length > 0;
}

/** The phone a code may go to for this person (login, recovery, second factor), or null. */
export function verifiedPhoneOf(person: Person): string | null {
  return person.status === 'active' && person.phoneVerified && person.phone ? person.phone : null;
}
