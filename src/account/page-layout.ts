// What every account centre page ("个人中心") shares: the shared self-service sign-in
// (src/selfservice/portal.ts), the account layout (navigation, who, sign-out, the "done" notice),
// the session's CSRF check on every POST, the confirmation page, the error page and the date format.
// Nothing on these pages needs a script (the CSP allows none).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { formBody, formField, messagePage as plainMessagePage, seeOther } from '../http/forms.ts';
import { tr } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { maskName } from '../identity/mask.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { Mailer } from '../mail/mailer.ts';
import { csrfOk, requireSignIn, type SignedIn } from '../selfservice/portal.ts';
import type { FieldErrors } from './password.ts';

export const form = formBody('16kb');

export function field(ctx: Context, name: string, max = 256): string {
  return formField(ctx, name, max);
}

/** An error page with the way back to the account centre. */
export function messagePage(ctx: Context, status: number, code: string) {
  plainMessagePage(ctx, status, code, { link: { href: '/account', label: tr(localeOf(ctx), 'account.heading') } });
}

export { formatDay, formatTime } from '../i18n/time.ts';

const DONE = new Set(['password', 'email', 'session', 'others', 'app']);

export interface AccountDeps {
  throttle: LoginThrottle;
  mailer: Mailer | null;
}

export function accountLayout(app: AppContext, getProvider: () => Provider) {
  const signIn = (ctx: Context) => requireSignIn(app, getProvider(), ctx, 'selfservice.sign_in_required');

  const translate = (locale: Locale, errors: FieldErrors) => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, tr(locale, v)]));

  /** Renders an account page with what every one of them shows (navigation, who, sign-out). */
  const render = (ctx: Context, s: SignedIn, view: string, nav: string, data: Record<string, unknown>) => {
    const locale = localeOf(ctx);
    const done = typeof ctx.query.done === 'string' && DONE.has(ctx.query.done) ? tr(locale, `account.done.${ctx.query.done}`) : undefined;
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, { done, ...data, nav, csrf: s.csrf, personName: maskName(s.person.name), errors: translate(locale, (data.errors as FieldErrors | undefined) ?? {}) }, ctx.path);
  };

  /** A POST's session and CSRF check; null after answering. */
  const post = async (ctx: Context): Promise<SignedIn | null> => {
    const s = await signIn(ctx);
    if (!s) return null;
    if (!csrfOk(s, field(ctx, 'csrf'))) {
      messagePage(ctx, 403, 'csrf.invalid');
      return null;
    }
    return s;
  };

  const confirmPage = (ctx: Context, s: SignedIn, nav: string, data: { question: string; action: string; back: string; detail?: Record<string, unknown> }) => render(ctx, s, 'account-confirm', nav, data);

  return { signIn, render, post, seeOther, confirmPage };
}

export type AccountLayout = ReturnType<typeof accountLayout>;
