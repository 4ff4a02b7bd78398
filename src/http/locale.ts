import type { Context } from 'koa';
import { pickLocale, type Locale } from '../i18n/messages.ts';

export const LANG_COOKIE = 'yt_lang';

/** The page language: ?lang= (remembered in a cookie), else the cookie, else Accept-Language. */
export function localeOf(ctx: Context): Locale {
  const q = typeof ctx.query?.lang === 'string' ? ctx.query.lang : undefined;
  const locale = pickLocale(q, ctx.cookies.get(LANG_COOKIE), ctx.get('accept-language'));
  if (q === locale) ctx.cookies.set(LANG_COOKIE, locale, { httpOnly: true, sameSite: 'lax', maxAge: 365 * 86400_000, overwrite: true });
  return locale;
}
