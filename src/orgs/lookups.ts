// Finding the orgs and persons that org commands and pages name: by USCC, by the pre-2015
// organisation code, by ID number. Shared by the lifecycle, authorisation and view services.
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { parseUscc } from '../identity/uscc.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson, type Person } from '../accounts/person.ts';
import { orgStore } from './store.ts';
import { toOrg, type Org } from './org.ts';

/**
 * The org a request names cannot be used: its USCC is malformed, no org has it, or the person is
 * not its legal representative. The self-service pages show it as the page's answer, not as an
 * error of the form that was posted.
 */
export class OrgUnavailableError extends AppError {}

export function usccOrThrow(raw: string | null | undefined): string {
  const r = parseUscc(raw);
  if (!r.ok) throw new OrgUnavailableError(r.error);
  return r.value;
}

export const unknownOrg = () => new OrgUnavailableError('org.unknown', 'not_found');
export const notLegalRep = () => new OrgUnavailableError('org.not_legal_rep', 'forbidden');

/** The person with this ID number, or a `org.person_unknown` error. */
export async function personByIdNumber(app: AppContext, raw: string | null | undefined): Promise<Person> {
  const id = parseIdNumber(raw ?? '');
  if (!id.ok) throw new AppError(id.error);
  const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndexes('resident_id', id.value));
  if (!row) throw new AppError('org.person_unknown', 'not_found', maskIdNumber(id.value));
  return openPerson(app.keyring, row);
}

export const maskedId = (p: Person) => maskIdNumber(p.idNumber ?? '');

export async function findOrgByUscc(app: AppContext, raw: string): Promise<Org | null> {
  const row = await orgStore.byUscc(app.db, usccOrThrow(raw));
  return row ? toOrg(row) : null;
}

export async function requireOrg(app: AppContext, raw: string): Promise<Org> {
  const org = await findOrgByUscc(app, raw);
  if (!org) throw unknownOrg();
  return org;
}

/** Orgs registered under a pre-2015 organisation code (USCC positions 9-17). */
export async function findOrgsByOrgCode(app: AppContext, orgCode: string): Promise<Org[]> {
  const code = orgCode.normalize('NFKC').replace(/[\s-]+/g, '').toUpperCase();
  return (await orgStore.byOrgCode(app.db, code)).map(toOrg);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An authorisation id as the pages and commands receive it: anything else names nothing. */
export const isUuid = (v: string) => UUID.test(v);
