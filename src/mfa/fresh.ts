// "A fresh second factor": one used to sign in to this session within the last few minutes proves
// the person is at the keyboard, for changes to their second factors (account-pages.ts).
import type { AppContext } from '../context.ts';
import type { SignedIn } from '../selfservice/portal.ts';
import { levelStore } from './store.ts';
import { lastSecondFactorAt } from './levels.ts';

export const FRESH_SECOND_FACTOR_SECONDS = 300;

export async function freshSecondFactor(app: AppContext, s: SignedIn): Promise<boolean> {
  const stored = await levelStore.get(app.db, s.session.uid);
  const at = stored && stored.accountId === s.person.sub ? lastSecondFactorAt(stored.levels) : null;
  return at !== null && Date.now() / 1000 - at <= FRESH_SECOND_FACTOR_SECONDS;
}
