// findAccount: how oidc-provider sees a person. Claims follow the contract in DESIGN.md.
import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { findPersonBySub } from '../accounts/service.ts';
import type { Person } from '../accounts/person.ts';
import type { Feature } from '../feature.ts';

export const SCOPE_CLAIMS = {
  openid: ['sub', 'acr', 'amr', 'auth_time', 'legacy_uid'],
  profile: ['name', 'gender', 'birthdate'],
  phone: ['phone_number', 'phone_number_verified'],
  email: ['email', 'email_verified'],
  id_card: ['id_type', 'id_number', 'real_name_level'],
  legal_person: ['entity_type', 'uscc', 'org_name', 'org_role', 'org_sub'],
};

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

export function createFindAccount(app: AppContext, features: Feature[]) {
  const guards = features.flatMap((f) => f.accountGuards ?? []);
  const extensions = features.flatMap((f) => f.claims ?? []);
  return async function findAccount(ctx: KoaContextWithOIDC, sub: string, token?: Parameters<FindAccount>[2]): Promise<Account | undefined> {
    const person = await findPersonBySub(app, sub);
    if (!person || person.status !== 'active') return undefined;
    for (const guard of guards) if (!(await guard(person, ctx, token))) return undefined;
    return {
      accountId: person.sub,
      async claims() {
        const extra = {};
        for (const ext of extensions) Object.assign(extra, await ext(person, ctx.oidc));
        return { ...personClaims(person), ...extra };
      },
    };
  };
}
