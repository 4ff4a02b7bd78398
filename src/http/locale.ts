import type { Context } from 'koa';
import { firstSupportedLocale, pickLocale, type Locale } from '../i18n/messages.ts';

export const LANG_COOKIE = 'yt_lang';
/** The language the app asked for (ui_locales) when it started the sign-in in progress. */
export const UI_LOCALES_COOKIE = 'yt_ui_lang';

// signed: false because oidc-provider's contexts sign cookies by default; these hold no secret.
const COOKIE = { httpOnly: true, sameSite: 'lax', overwrite: true, signed: false } as const;

const asLocale = (v: string | undefined): Locale | undefined => (v === 'en' || v === 'zh-CN' ? v : undefined);

/**
 * The page language, strongest first: ?lang= (the person's explicit choice, remembered in a cookie
 * and from then on outranking what the app asked for), `hint` (the ui_locales of the request being
 * answered), the ui_locales of the sign-in in progress, the remembered choice, Accept-Language, zh-CN.
 */
export function localeOf(ctx: Context, hint?: unknown): Locale {
  const q = asLocale(typeof ctx.query?.lang === 'string' ? ctx.query.lang : undefined);
  if (q) {
    ctx.cookies.set(LANG_COOKIE, q, { ...COOKIE, maxAge: 365 * 86400_000 });
    if (ctx.cookies.get(UI_LOCALES_COOKIE, { signed: false })) ctx.cookies.set(UI_LOCALES_COOKIE, null, COOKIE);
    return q;
  }
  return (
    firstSupportedLocale(hint) ??
    asLocale(ctx.cookies.get(UI_LOCALES_COOKIE, { signed: false })) ??
    pickLocale(undefined, ctx.cookies.get(LANG_COOKIE, { signed: false }), ctx.get('accept-language'))
  );
}

/**
 * A sign-in starts: its pages (login, consent, prompts, errors) speak the first supported language of
 * its ui_locales for as long as it may last. A sign-in without one forgets an earlier sign-in's.
 */
export function startSignInLocale(ctx: Context, uiLocales: unknown, maxAgeMs: number): void {
  const locale = firstSupportedLocale(uiLocales);
  if (locale) ctx.cookies.set(UI_LOCALES_COOKIE, locale, { ...COOKIE, maxAge: maxAgeMs });
  else if (ctx.cookies.get(UI_LOCALES_COOKIE, { signed: false })) ctx.cookies.set(UI_LOCALES_COOKIE, null, COOKIE);
}
