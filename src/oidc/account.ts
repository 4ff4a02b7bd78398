// findAccount: how oidc-provider sees a person. Claims follow the contract in DESIGN.md.
import type { Account, AccountClaims, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findPersonBySub } from '../accounts/service.ts';
import type { Person } from '../accounts/person.ts';

export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time', 'legacy_uid'],
  profile: ['name', 'gender', 'birthdate'],
  phone: ['phone_number', 'phone_number_verified'],
  email: ['email', 'email_verified'],
  id_card: ['id_type', 'id_number', 'real_name_level'],
  legal_person: ['entity_type', 'uscc', 'org_name', 'org_role', 'org_sub'],
};

/** Extra claims that depend on the client (legacy ids) or the session (acting entity). */
export type ClaimsExtension = (app: AppContext, person: Person, oidc: KoaContextWithOIDC['oidc']) => Promise<Record<string, unknown>>;
const extensions: ClaimsExtension[] = [];
export function addClaimsExtension(ext: ClaimsExtension): void {
  extensions.push(ext);
}

export function personClaims(person: Person): AccountClaims {
  return {
    sub: person.sub,
    name: person.name,
    ...(person.gender ? { gender: person.gender } : {}),
    ...(person.birthdate ? { birthdate: person.birthdate } : {}),
    ...(person.phone ? { phone_number: person.phone, phone_number_verified: person.phoneVerified } : {}),
    ...(person.email ? { email: person.email, email_verified: person.emailVerified } : {}),
    id_type: person.idType,
    ...(person.idNumber ? { id_number: person.idNumber } : {}),
    real_name_level: person.realNameLevel,
    entity_type: 'natural_person',
  };
}

export function createFindAccount(app: AppContext) {
  return async function findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> {
    const person = await findPersonBySub(app, sub);
    if (!person || person.status !== 'active') return undefined;
    return {
      accountId: person.sub,
      async claims() {
        const extra = {};
        for (const ext of extensions) Object.assign(extra, await ext(app, person, ctx.oidc));
        return { ...personClaims(person), ...extra };
      },
    };
  };
}
