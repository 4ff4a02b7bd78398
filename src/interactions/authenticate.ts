// Password login with brute-force protection. Unknown identifiers and wrong passwords produce the
// same answer after the same work (one argon2 verify). A lock is said as such, with when to retry,
// but only the lock of the identifier as typed (or of the IP): unknown identifiers are counted and
// locked exactly like known ones, and a person locked through one identifier is answered on another
// as that identifier's own history says, so no answer tells whether an account exists or which
// identifiers belong to one. The lock that stops the person is the person's, whatever they type.
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonByIdentifier, checkPassword } from '../accounts/service.ts';
import { burnVerify } from '../crypto/password.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { parseMobile, parseEmail } from '../identity/contact.ts';
import { maskEmail, maskIdNumber, maskPhone } from '../identity/mask.ts';
import type { LoginThrottle, ThrottleKeys, ThrottleState } from './throttle.ts';
import { loginMetric } from '../http/metrics.ts';
import type { Feature, IdentifierResolver, PasswordVerifier } from '../feature.ts';

export type AuthResult =
  | { ok: true; person: Person }
  | { ok: false; code: 'login.failed' }
  | { ok: false; code: 'login.locked'; retryAfterSeconds: number };

/** The throttle's account for a person. */
export function personThrottleAccount(personId: string): string {
  return `p:${personId}`;
}

/** The throttle's account for an identifier as typed (an unknown one's account, a known one's alias). */
export function identifierThrottleAccount(app: AppContext, identifier: string): string {
  return `i:${app.keyring.blindIndex('login-identifier', identifier.normalize('NFKC').trim().toLowerCase())}`;
}

/** What `yitong person unlock` clears: the person's counter and those of their identifiers as usually typed. */
export function personThrottleAccounts(app: AppContext, person: Person): string[] {
  const typed = [person.idNumber, person.phone, person.email].filter((v): v is string => Boolean(v));
  return [personThrottleAccount(person.id), ...typed.map((v) => identifierThrottleAccount(app, v))];
}

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
  // The person's counter stops them whatever identifier they type; the identifier's own counter
  // (an unknown identifier's only one) decides what is said. See the header.
  const typed = identifierThrottleAccount(app, identifier);
  const keys: ThrottleKeys = person ? { account: personThrottleAccount(person.id), alias: typed, ip: input.ip } : { account: typed, ip: input.ip };
  const asTyped: ThrottleKeys = { account: typed, ip: input.ip };
  const reportable = (s: ThrottleState) => s.reportableRetryAfterSeconds ?? s.retryAfterSeconds;
  const state = await throttle.check(keys);
  const auditBase = { actor: person?.sub ?? null, clientId: input.clientId, ip: input.ip };
  const masked = maskIdentifier(identifier);

  if (reportable(state) > 0) {
    await burnVerify(input.password);
    loginMetric.inc({ outcome: 'locked' });
    await app.audit.append({ ...auditBase, event: 'login.failure', outcome: 'denied', detail: { identifier: masked, reason: 'locked' } });
    return { ok: false, code: 'login.locked', retryAfterSeconds: reportable(state) };
  }
  if (state.delayMs > 0) await sleep(state.delayMs);

  /** A refusal, counted; said as a lock when this identifier (or the IP) is locked now. */
  const refuse = async (counted: ThrottleKeys, reason: string): Promise<AuthResult> => {
    const { lockedNow } = await throttle.recordFailure(counted);
    loginMetric.inc({ outcome: reason === 'locked' ? 'locked' : 'failure' });
    await app.audit.append({ ...auditBase, event: 'login.failure', outcome: reason === 'locked' ? 'denied' : 'failure', detail: { identifier: masked, reason } });
    if (lockedNow) await app.audit.append({ ...auditBase, event: 'login.lockout', outcome: 'info', detail: { identifier: masked } });
    const after = reportable(await throttle.check(keys));
    return after > 0 ? { ok: false, code: 'login.locked', retryAfterSeconds: after } : { ok: false, code: 'login.failed' };
  };

  // Locked through another identifier: answer exactly as for an unknown identifier typed here.
  if (state.locked) {
    await burnVerify(input.password);
    return refuse(asTyped, 'locked');
  }
  const ok = person && person.status === 'active' ? await login.verify(person, input.password) : await burnVerify(input.password);
  if (!ok) return refuse(keys, person ? 'password' : 'unknown_identifier');
  await throttle.recordSuccess(keys, state);
  loginMetric.inc({ outcome: 'success' });
  await app.audit.append({ ...auditBase, event: 'login.success', outcome: 'success', detail: { identifier: masked, method: 'pwd' } });
  return { ok: true, person: person! };
}
