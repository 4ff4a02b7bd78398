// The account centre's pages ("个人中心"): thin handlers that read the signed-in session (shared
// self-service sign-in, src/selfservice/portal.ts), check the session's CSRF token on every POST,
// call the services of this folder and render, or redirect after a change (POST-redirect-GET).
// Destructive acts go through a confirmation page (or, for cancellation, a checkbox with the
// password); nothing on these pages needs a script (the CSP allows none).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { AppError } from '../errors.ts';
import { maskEmail, maskIdNumber, maskName, maskPhone } from '../identity/mask.ts';
import { personStore } from '../accounts/store.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import type { Mailer } from '../mail/mailer.ts';
import { csrfOk, requireSignIn, signInUrl, type SignedIn } from '../selfservice/portal.ts';
import { changePassword, type FieldErrors } from './password.ts';
import { confirmEmailCode, pendingEmail, sendEmailCode } from './email.ts';
import { endOneSession, endOtherSessions, findSession, listSessions, type SessionView } from './sessions.ts';
import { listApps, revokeApp } from './apps.ts';
import { listActivity } from './activity.ts';
import { exportPersonalData } from './export.ts';
import { cancellationBlocked, pendingCancellation, requestCancellation, withdrawnBySignIn, withdrawOnSignIn } from './cancellation.ts';
import { confirmOwner, needsFreshSignIn } from './confirm.ts';

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'account.css'));
const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

function field(ctx: Context, name: string, max = 256): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function messagePage(ctx: Context, status: number, code: string) {
  const locale = localeOf(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code, link: { href: '/account', label: tr(locale, 'account.heading') } });
}

/** 2026-03-01 14:05 (Beijing time, as every date on these pages). */
export function formatTime(d: Date | null | undefined): string | null {
  if (!d) return null;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
const formatDay = (d: Date) => formatTime(d)!.slice(0, 10);

const DONE = new Set(['password', 'email', 'session', 'others', 'app']);

export interface AccountDeps {
  throttle: LoginThrottle;
  mailer: Mailer | null;
}

export function accountRouter(app: AppContext, getProvider: () => Provider, deps: AccountDeps): Router {
  const router = new Router();
  const signIn = (ctx: Context) => requireSignIn(app, getProvider(), ctx, 'selfservice.sign_in_required');

  /** Renders an account page with what every one of them shows (navigation, who, sign-out). */
  const render = (ctx: Context, s: SignedIn, view: string, nav: string, data: Record<string, unknown>) => {
    const locale = localeOf(ctx);
    const done = typeof ctx.query.done === 'string' && DONE.has(ctx.query.done) ? tr(locale, `account.done.${ctx.query.done}`) : undefined;
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, { done, ...data, nav, csrf: s.csrf, personName: maskName(s.person.name), errors: translate(locale, (data.errors as FieldErrors | undefined) ?? {}) }, ctx.path);
  };
  const translate = (locale: Locale, errors: FieldErrors) => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, tr(locale, v)]));

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
  const seeOther = (ctx: Context, to: string) => {
    ctx.status = 303;
    ctx.redirect(to);
  };

  router.get('/assets/account.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

  // ---- profile ---------------------------------------------------------------------------

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

  // ---- sessions --------------------------------------------------------------------------

  const sessionData = (locale: Locale, v: SessionView) => ({
    handle: v.handle,
    current: v.current,
    device: [v.device.browser, v.device.os].filter(Boolean).join(' · ') || tr(locale, 'account.sessions.unknown_device'),
    network: v.network ? `${tr(locale, `account.network.${v.network.kind}`)} ${v.network.masked}` : tr(locale, 'account.network.unknown'),
    signedInAt: formatTime(v.signedInAt),
    lastSeenAt: formatTime(v.lastSeenAt),
    apps: v.apps,
  });

  router.get('/account/sessions', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const sessions = (await listSessions(app, s)).map((v) => sessionData(locale, v));
    render(ctx, s, 'account-sessions', 'sessions', { sessions, others: sessions.filter((x) => !x.current).length });
  });

  const confirmPage = (ctx: Context, s: SignedIn, nav: string, data: { question: string; action: string; back: string; detail?: Record<string, unknown> }) => render(ctx, s, 'account-confirm', nav, data);

  router.get('/account/sessions/end-others', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    confirmPage(ctx, s, 'sessions', { question: tr(localeOf(ctx), 'account.confirm.end_others'), action: '/account/sessions/end-others', back: '/account/sessions' });
  });

  router.post('/account/sessions/end-others', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    await endOtherSessions(app, s);
    seeOther(ctx, '/account/sessions?done=others');
  });

  router.get('/account/sessions/:handle/end', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const v = await findSession(app, s, ctx.params.handle);
    if (!v || v.current) return messagePage(ctx, v ? 400 : 404, v ? 'account.session.current' : 'account.session.unknown');
    const locale = localeOf(ctx);
    confirmPage(ctx, s, 'sessions', {
      question: tr(locale, 'account.confirm.end_session'),
      action: `/account/sessions/${v.handle}/end`,
      back: '/account/sessions',
      detail: sessionData(locale, v),
    });
  });

  router.post('/account/sessions/:handle/end', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    try {
      await endOneSession(app, s, ctx.params.handle);
    } catch (err) {
      if (err instanceof AppError) return messagePage(ctx, err.status, err.code);
      throw err;
    }
    seeOther(ctx, '/account/sessions?done=session');
  });

  // ---- apps ------------------------------------------------------------------------------

  const scopeText = (locale: Locale, scopes: string[]) => scopes.filter((x) => x !== 'openid').map((x) => tr(locale, `scope.${x}`));

  router.get('/account/apps', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const apps = (await listApps(app, s)).map((a) => ({ clientId: a.clientId, name: a.name, department: a.department, scopes: scopeText(locale, a.scopes), since: formatTime(a.since) }));
    render(ctx, s, 'account-apps', 'apps', { apps });
  });

  router.get('/account/apps/:clientId/revoke', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const a = (await listApps(app, s)).find((x) => x.clientId === ctx.params.clientId);
    if (!a) return messagePage(ctx, 404, 'account.app.unknown');
    confirmPage(ctx, s, 'apps', {
      question: trf(localeOf(ctx), 'account.confirm.revoke', { app: a.name }),
      action: `/account/apps/${encodeURIComponent(a.clientId)}/revoke`,
      back: '/account/apps',
    });
  });

  router.post('/account/apps/:clientId/revoke', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    try {
      await revokeApp(app, s, ctx.params.clientId, ctx.ip);
    } catch (err) {
      if (err instanceof AppError) return messagePage(ctx, err.status, err.code);
      throw err;
    }
    seeOther(ctx, '/account/apps?done=app');
  });

  // ---- activity --------------------------------------------------------------------------

  router.get('/account/activity', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const events = (await listActivity(app, s.person.sub)).map((e) => ({
      at: formatTime(e.at),
      event: tr(locale, `account.event.${e.event}`),
      reason: e.reason && e.event === 'session.end' ? tr(locale, `account.reason.${e.reason}`) : null,
      outcome: e.outcome,
      outcomeText: tr(locale, `account.outcome.${e.outcome}`),
      app: e.app,
      network: e.network ? `${tr(locale, `account.network.${e.network.kind}`)} ${e.network.masked}` : null,
    }));
    render(ctx, s, 'account-activity', 'activity', { events });
  });

  // ---- personal data: download, cancellation ----------------------------------------------

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

  return router;
}
