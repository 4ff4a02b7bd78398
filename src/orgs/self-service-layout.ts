// What every self-service org page ("我的单位", "经办人管理") shares: the sign-in check, the orgs
// layout (who is signed in, sign-out, language switch), the error page in that layout, the CSRF
// check and the confirmation page.
//
// These pages run on the provider's own sign-in session, read with oidc-provider's public
// `provider.Session.get(ctx)` (it takes any koa context and reads the signed session cookie). With
// no session, the shared self-service sign-in (src/selfservice/portal.ts) starts an authorization
// request for the built-in portal client; after sign-in the browser comes back here.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { formBody, formField as field } from '../http/forms.ts';
import { tr } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { maskName } from '../identity/mask.ts';
import { csrfOk as sessionCsrfOk, requireSignIn as selfServiceSignIn, type SignedIn } from '../selfservice/portal.ts';
import { errorView } from './page-text.ts';

export type Signed = SignedIn;

export const form = formBody('16kb');

const DONE = new Set(['accepted', 'declined', 'granted', 'revoked', 'relinquished']);
const doneText = (ctx: Context, locale: Locale) => {
  const d = typeof ctx.query.done === 'string' ? ctx.query.done : '';
  return DONE.has(d) ? tr(locale, `orgs.done.${d}`) : undefined;
};

export type ConfirmData = {
  heading: string;
  question: string;
  detail: { title: string; facts: { label: string; value: string; mono?: boolean }[] };
  action: string;
  yes: string;
  back: string;
  no: string;
};

export function orgsLayout(app: AppContext, getProvider: () => Provider) {
  const requireSignIn = (ctx: Context): Promise<Signed | null> => selfServiceSignIn(app, getProvider(), ctx, 'org.sign_in_required', '/orgs');

  /** Renders a page in the orgs layout (who is signed in, sign-out, language switch). */
  const render = (ctx: Context, s: Signed, view: string, data: Record<string, unknown>, switchUrl: string) => {
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, { done: doneText(ctx, locale), ...data, csrf: s.csrf, personName: maskName(s.person.name) }, switchUrl);
  };

  /** An error as the answer to a request, still in the orgs layout: the way on is a link and sign-out. */
  const errorPage = (ctx: Context, s: Signed, status: number, code: string) => {
    const locale = localeOf(ctx);
    ctx.status = status;
    // a POST's address is no page to switch language on
    render(ctx, s, 'orgs-message', { error: errorView(locale, code) }, ctx.method === 'GET' ? ctx.path : '/orgs');
  };

  const csrfOk = (ctx: Context, s: Signed) => sessionCsrfOk(s, field(ctx, 'csrf'));

  /** The page that asks before an authorisation ends (revoke, give up): a form, no script. */
  const confirmPage = (ctx: Context, s: Signed, data: ConfirmData) => render(ctx, s, 'orgs-confirm', data, ctx.path);

  const seeOther = (ctx: Context, to: string) => {
    ctx.status = 303;
    ctx.redirect(to);
  };

  return { requireSignIn, render, errorPage, csrfOk, confirmPage, seeOther };
}

export type OrgsLayout = ReturnType<typeof orgsLayout>;
