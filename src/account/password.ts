// Password change: the current password, the policy for the new one; every other session ends
// (apps told over the back channel, reason password.change) and this one stays.
import type { AppContext } from '../context.ts';
import { hashPassword, passwordPolicyError } from '../crypto/password.ts';
import { personStore } from '../accounts/store.ts';
import { legacyAccountStore } from '../legacy/account-store.ts';
import { payloadStore } from '../oidc/payload-store.ts';
import { endSessions } from '../logout/service.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { SignedIn } from '../selfservice/portal.ts';
import { confirmOwner } from './confirm.ts';

export type FieldErrors = Record<string, string>;

export async function changePassword(
  app: AppContext,
  throttle: LoginThrottle,
  s: SignedIn,
  input: { current: string; next: string },
  ip: string,
): Promise<{ ok: true; sessionsEnded: number } | { ok: false; errors: FieldErrors }> {
  const errors: FieldErrors = {};
  const policy = input.next ? passwordPolicyError(input.next) : 'account.password.new_missing';
  if (policy) errors.new_password = policy;
  if (!input.current && s.person.passwordHash) errors.current_password = 'account.password.missing';
  if (Object.keys(errors).length) return { ok: false, errors };

  const refused = await confirmOwner(app, throttle, s, input.current, ip);
  if (refused) {
    await app.audit.append({ event: 'password.change', outcome: 'failure', actor: s.person.sub, ip, detail: { reason: refused } });
    return { ok: false, errors: { current_password: refused } };
  }
  if (input.current && input.next === input.current) return { ok: false, errors: { new_password: 'account.password.same' } };

  const hash = await hashPassword(input.next);
  const ended = await app.db.transaction().execute(async (trx) => {
    await personStore.update(trx, s.person.id, { password_hash: hash, password_changed_at: new Date() });
    // a departmental system's old password no longer lets anyone in either
    await legacyAccountStore.retireAll(trx, s.person.id);
    const others = (await payloadStore.sessionsOf(trx, s.person.sub)).filter((x) => x.id !== s.session.id);
    const r = await endSessions(app, trx, others, 'password.change', s.person.sub);
    await app.audit.append({ event: 'password.change', outcome: 'success', actor: s.person.sub, ip, detail: { sessions_ended: r.sessions } }, trx);
    return r.sessions;
  });
  return { ok: true, sessionsEnded: ended };
}
