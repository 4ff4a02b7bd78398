// Proof that the person at the keyboard owns the signed-in account, before a sensitive act
// (password or e-mail change, personal data download, cancellation): the current password, counted
// by the login's own brute-force throttle (the same per-person and per-address counters, so guesses
// here and at the login add up); a person without a password of ours instead signs in again.
import type { AppContext } from '../context.ts';
import { checkPassword } from '../accounts/service.ts';
import { burnVerify } from '../crypto/password.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { SignedIn } from '../selfservice/portal.ts';

/** A sign-in younger than this counts as proof for a person without a password. */
export const FRESH_SIGN_IN_SECONDS = 300;

export type ConfirmError = 'account.password.missing' | 'account.password.wrong' | 'login.throttled' | 'account.reauth_required';

/** The person has no password of ours (an imported or SMS-only account): proof is a fresh sign-in. */
export const needsFreshSignIn = (s: SignedIn) => !s.person.passwordHash;

export async function confirmOwner(app: AppContext, throttle: LoginThrottle, s: SignedIn, password: string, ip: string): Promise<ConfirmError | null> {
  if (needsFreshSignIn(s)) {
    const age = Date.now() / 1000 - (s.session.loginTs ?? 0);
    return age <= FRESH_SIGN_IN_SECONDS ? null : 'account.reauth_required';
  }
  if (!password) return 'account.password.missing';
  const keys = { account: `p:${s.person.id}`, ip };
  const state = await throttle.check(keys);
  if (state.locked) {
    await burnVerify(password);
    return 'login.throttled';
  }
  if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
  if (!(await checkPassword(app, s.person, password))) {
    await throttle.recordFailure(keys);
    return 'account.password.wrong';
  }
  await throttle.recordSuccess(keys);
  return null;
}
