// findAccount: how oidc-provider sees a person. Claims follow the contract in DESIGN.md.
import type { Account, AccountClaims, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
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

/**
 * Account guards may refuse a person in the context of a token (e.g. the organisation the token's
 * grant acts for is no longer authorised): findAccount then returns undefined, and oidc-provider
 * answers the refresh with invalid_grant and userinfo with invalid_token.
 */
export type AccountGuard = (app: AppContext, person: Person, ctx: KoaContextWithOIDC, token: Parameters<FindAccount>[2]) => Promise<boolean>;
const guards: AccountGuard[] = [];
export function addAccountGuard(guard: AccountGuard): void {
  guards.push(guard);
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
  return async function findAccount(ctx: KoaContextWithOIDC, sub: string, token?: Parameters<FindAccount>[2]): Promise<Account | undefined> {
    const person = await findPersonBySub(app, sub);
    if (!person || person.status !== 'active') return undefined;
    for (const guard of guards) if (!(await guard(app, person, ctx, token))) return undefined;
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
