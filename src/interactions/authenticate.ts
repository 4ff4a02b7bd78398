// Password login with brute-force protection. Unknown identifiers, wrong passwords and locked
// accounts produce the same answer after the same work (one argon2 verify), so neither the
// message nor the timing tells whether an account exists.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonByIdentifier, checkPassword } from '../accounts/service.ts';
import { burnVerify } from '../crypto/password.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { parseMobile, parseEmail } from '../identity/contact.ts';
import { maskEmail, maskIdNumber, maskPhone } from '../identity/mask.ts';
import type { LoginThrottle } from './throttle.ts';
import { loginMetric } from '../http/metrics.ts';
import type { Feature, IdentifierResolver, PasswordVerifier } from '../feature.ts';

export type AuthResult = { ok: true; person: Person } | { ok: false; code: 'login.failed' };

/** How a password login finds the person and checks the password: the core's, wrapped by features. */
export interface LoginMethods {
  resolve: IdentifierResolver;
  verify: PasswordVerifier;
}

export function loginMethods(app: AppContext, features: Feature[]): LoginMethods {
  let resolve: IdentifierResolver = (identifier) => findPersonByIdentifier(app, identifier);
  let verify: PasswordVerifier = (person, password) => checkPassword(app, person, password);
  for (const f of features) {
    if (f.resolveIdentifier) resolve = f.resolveIdentifier(resolve);
    if (f.verifyPassword) verify = f.verifyPassword(verify);
  }
  return { resolve, verify };
}

export function maskIdentifier(identifier: string): string {
  const id = parseIdNumber(identifier);
  if (id.ok) return maskIdNumber(id.value);
  const phone = parseMobile(identifier);
  if (phone.ok) return maskPhone(phone.value);
  const email = parseEmail(identifier);
  if (email.ok) return maskEmail(email.value);
  return identifier.slice(0, 2) + '***';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function authenticate(
  app: AppContext,
  login: LoginMethods,
  throttle: LoginThrottle,
  input: { identifier: string; password: string; ip: string; clientId: string | null },
): Promise<AuthResult> {
  const identifier = input.identifier.normalize('NFKC').trim();
  const person = await login.resolve(identifier);
  // Throttle by person when the identifier resolves, so switching between ID number, mobile and
  // e-mail does not reset the count; by identifier otherwise, so unknown ones lock alike.
  const account = person ? `p:${person.id}` : `i:${app.keyring.blindIndex('login-identifier', identifier.toLowerCase())}`;
  const keys = { account, ip: input.ip };
  const state = await throttle.check(keys);
  const auditBase = { event: 'login', actor: person?.sub ?? null, clientId: input.clientId, ip: input.ip };
  const masked = maskIdentifier(identifier);

  if (state.locked) {
    await burnVerify(input.password);
    loginMetric.inc({ outcome: 'locked' });
    await app.audit.append({ ...auditBase, outcome: 'denied', detail: { identifier: masked, reason: 'locked' } });
    return { ok: false, code: 'login.failed' };
  }
  if (state.delayMs > 0) await sleep(state.delayMs);

  const ok = person && person.status === 'active' ? await login.verify(person, input.password) : await burnVerify(input.password);
  if (!ok) {
    const { lockedNow } = await throttle.recordFailure(keys);
    loginMetric.inc({ outcome: 'failure' });
    await app.audit.append({ ...auditBase, outcome: 'failure', detail: { identifier: masked, reason: person ? 'password' : 'unknown_identifier' } });
    if (lockedNow) await app.audit.append({ ...auditBase, event: 'login.lockout', outcome: 'info', detail: { identifier: masked } });
    return { ok: false, code: 'login.failed' };
  }
  await throttle.recordSuccess(keys);
  loginMetric.inc({ outcome: 'success' });
  await app.audit.append({ ...auditBase, outcome: 'success', detail: { identifier: masked, method: 'pwd' } });
  return { ok: true, person: person! };
}
