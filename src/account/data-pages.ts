// The account centre's personal data pages: downloading one's data (password first) and cancelling
// the account (a checkbox with the password; a cooling-off period follows).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { signInUrl, type SignedIn } from '../selfservice/portal.ts';
import type { FieldErrors } from './password.ts';
import { exportPersonalData } from './export.ts';
import { cancellationBlocked, requestCancellation } from './cancellation.ts';
import { confirmOwner, needsFreshSignIn } from './confirm.ts';
import { field, form, formatDay, messagePage, type AccountDeps, type AccountLayout } from './page-layout.ts';

export function dataRoutes(app: AppContext, deps: AccountDeps, layout: AccountLayout, router: Router) {
  const { signIn, render, post } = layout;

  const dataPage = async (ctx: Context, s: SignedIn, extra: { errors?: FieldErrors } = {}) => {
    const locale = localeOf(ctx);
    const blocked = await cancellationBlocked(app, s.person);
    render(ctx, s, 'account-data', 'data', {
      errors: extra.errors,
      cancelHint: trf(locale, 'account.data.cancel_hint', { days: String(app.config.account.cancelCoolingOffDays) }),
      blocked: blocked ? tr(locale, blocked) : null,
      passwordless: needsFreshSignIn(s),
      reauthUrl: `${signInUrl('/account/data')}&fresh=1`,
    });
  };

  router.get('/account/data', async (ctx) => {
    const s = await signIn(ctx);
    if (s) await dataPage(ctx, s);
  });

  router.post('/account/data/export', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const refused = await confirmOwner(app, deps.throttle, s, field(ctx, 'current_password'), ctx.ip);
    if (refused) {
      ctx.status = 400;
      return dataPage(ctx, s, { errors: { current_password: refused } });
    }
    const doc = await exportPersonalData(app, s, ctx.ip);
    ctx.type = 'application/json; charset=utf-8';
    ctx.set('content-disposition', `attachment; filename="yitong-personal-data-${formatDay(new Date())}.json"`);
    ctx.body = JSON.stringify(doc, null, 2);
  });

  const cancelPage = async (ctx: Context, s: SignedIn, extra: { errors?: FieldErrors } = {}) => {
    const locale = localeOf(ctx);
    const blocked = await cancellationBlocked(app, s.person);
    render(ctx, s, 'account-cancel', 'data', {
      errors: extra.errors,
      cancelHint: trf(locale, 'account.data.cancel_hint', { days: String(app.config.account.cancelCoolingOffDays) }),
      blocked: blocked ? tr(locale, blocked) : null,
      passwordless: needsFreshSignIn(s),
      reauthUrl: `${signInUrl('/account/cancel')}&fresh=1`,
    });
  };

  router.get('/account/cancel', async (ctx) => {
    const s = await signIn(ctx);
    if (s) await cancelPage(ctx, s);
  });

  router.post('/account/cancel', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const blocked = await cancellationBlocked(app, s.person);
    if (blocked) return messagePage(ctx, 409, blocked);
    const errors: FieldErrors = {};
    if (field(ctx, 'confirm') !== 'yes') errors.confirm = 'account.confirm.missing';
    const password = field(ctx, 'current_password');
    if (!password && !needsFreshSignIn(s)) errors.current_password = 'account.password.missing';
    if (!Object.keys(errors).length) {
      const refused = await confirmOwner(app, deps.throttle, s, password, ctx.ip);
      if (refused) errors.current_password = refused;
    }
    if (Object.keys(errors).length) {
      ctx.status = 400;
      return cancelPage(ctx, s, { errors });
    }
    const row = await requestCancellation(app, s.person, ctx.ip);
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage('message', locale, {
      heading: tr(locale, 'account.cancel.done_heading'),
      kind: 'notice',
      message: trf(locale, 'account.cancel.done', { date: formatDay(row.due_at) }),
    });
  });
}
