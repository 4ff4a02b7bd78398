// The account centre's home (the profile, masked) and security page (password, e-mail; phone: see
// the marked place in the view). Changes redirect after success (POST-redirect-GET).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '../identity/mask.ts';
import { personStore } from '../accounts/store.ts';
import { signInUrl, type SignedIn } from '../selfservice/portal.ts';
import { changePassword, type FieldErrors } from './password.ts';
import { confirmEmailCode, pendingEmail, sendEmailCode } from './email.ts';
import { pendingCancellation, withdrawnBySignIn, withdrawOnSignIn } from './cancellation.ts';
import { needsFreshSignIn } from './confirm.ts';
import { field, form, formatDay, formatTime, type AccountDeps, type AccountLayout } from './page-layout.ts';

export function profileRoutes(app: AppContext, deps: AccountDeps, layout: AccountLayout, router: Router) {
  const { signIn, render, post, seeOther } = layout;

  router.get('/account', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const p = s.person;
    // the sign-in listener usually got there first; either way this sign-in withdrew it
    const withdrawn = (await withdrawOnSignIn(app, p.sub, p.id, s.session.loginTs)) || (await withdrawnBySignIn(app, p, s.session.loginTs));
    const pending = await pendingCancellation(app, p);
    const row = await personStore.byId(app.db, p.id);
    render(ctx, s, 'account-home', 'home', {
      profile: {
        name: maskName(p.name),
        idType: tr(locale, `account.id_type.${p.idType}`),
        idNumber: p.idNumber ? maskIdNumber(p.idNumber) : null,
        gender: p.gender ? tr(locale, `account.gender.${p.gender}`) : null,
        phone: p.phone ? maskPhone(p.phone) : null,
        phoneVerified: p.phoneVerified,
        email: p.email ? maskEmail(p.email) : null,
        emailVerified: p.emailVerified,
        level: tr(locale, `account.level.${p.realNameLevel}`),
        createdAt: formatTime(row?.created_at),
        passwordChangedAt: formatTime(row?.password_changed_at),
      },
      notice: withdrawn ? tr(locale, 'account.cancel_withdrawn_notice') : pending ? trf(locale, 'account.cancel_pending_notice', { date: formatDay(pending.due_at) }) : undefined,
    });
  });

  // ---- security: password, e-mail (phone: see the marked place in the view) ---------------

  const securityPage = async (ctx: Context, s: SignedIn, extra: { errors?: FieldErrors; emailForm?: { email: string }; codeSentTo?: string | null } = {}) => {
    const locale = localeOf(ctx);
    const waiting = extra.codeSentTo !== undefined ? extra.codeSentTo : await pendingEmail(app, s);
    render(ctx, s, 'account-security', 'security', {
      errors: extra.errors,
      emailForm: extra.emailForm ?? { email: '' },
      codeSent: waiting ? trf(locale, 'account.code_sent', { to: waiting }) : null,
      mailAvailable: Boolean(deps.mailer),
      passwordless: needsFreshSignIn(s),
      reauthUrl: `${signInUrl('/account/security')}&fresh=1`,
      currentEmail: s.person.email ? maskEmail(s.person.email) : null,
      currentPhone: s.person.phone ? maskPhone(s.person.phone) : null,
    });
  };

  router.get('/account/security', async (ctx) => {
    const s = await signIn(ctx);
    if (s) await securityPage(ctx, s);
  });

  router.post('/account/security/password', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const r = await changePassword(app, deps.throttle, s, { current: field(ctx, 'current_password', 256), next: field(ctx, 'new_password', 256) }, ctx.ip);
    if (r.ok) return seeOther(ctx, '/account/security?done=password');
    ctx.status = 400;
    await securityPage(ctx, s, { errors: r.errors });
  });

  router.post('/account/security/email', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const email = field(ctx, 'email', 254);
    if (field(ctx, 'action') === 'send_code') {
      const r = await sendEmailCode(app, deps.throttle, deps.mailer, s, { email, password: field(ctx, 'current_password') }, ctx.ip);
      if (!r.ok) ctx.status = 400;
      return securityPage(ctx, s, r.ok ? { emailForm: { email }, codeSentTo: r.to } : { errors: r.errors, emailForm: { email } });
    }
    const r = await confirmEmailCode(app, s, field(ctx, 'email_code', 32), ctx.ip);
    if (r.ok) return seeOther(ctx, '/account/security?done=email');
    ctx.status = 400;
    await securityPage(ctx, s, { errors: r.errors, emailForm: { email } });
  });
}
