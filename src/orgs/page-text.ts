// Words the org pages share: a role, why an org cannot be used, how long an authorisation lasts,
// and an error in plain words with what to do next.
import { tr } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { lastDayCst, type Unusable } from './org.ts';

export const roleText = (locale: Locale, role: string) => tr(locale, `entity.role.${role}`);
export const whyText = (locale: Locale, why: Unusable) => tr(locale, `entity.why.${why}`);

export function validityText(locale: Locale, until: Date | null): string {
  return until ? `${tr(locale, 'orgs.through')} ${lastDayCst(until)}` : tr(locale, 'orgs.permanent');
}

/** An error in plain words, with what to do next (`orgs.next.CODE`, else a general next step). */
export interface ErrorView {
  code: string;
  message: string;
  next: string;
}

export function errorView(locale: Locale, code: string): ErrorView {
  const key = `orgs.next.${code}`;
  const next = tr(locale, key);
  return { code, message: tr(locale, code), next: next === key ? tr(locale, 'orgs.next.default') : next };
}
