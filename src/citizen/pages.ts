// Citizens' pages. Thin handlers: read the form, check CSRF, call registration.ts / recovery.ts /
// sms-login.ts, render (the same form with its fields kept and field-level messages) or move on.
//
//   /interaction/:uid/sms          SMS login, inside a sign-in (its CSRF token is the login's)
//   /register[?interaction=UID]    registration; started from a sign-in, it continues that sign-in
//                                  through /interaction/:uid/registered with a short-lived ticket
//   /account/recover[?interaction=UID]   password recovery
//
// Every form has `input[name=csrf]`; "get code" is `button[name=action][value=send_code]`, any other
// POST is the final submit. A hidden first button makes Enter in any field the final submit.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import type { Locale } from '../i18n/messages.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import type { LoginThrottle } from '../interactions/throttle.ts';
import { ACR_PASSWORD } from '../oidc/provider.ts';
import { loadClientMetadata } from '../clients/service.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { safeEqual } from '../crypto/keyring.ts';
import { field, formCsrf, formCsrfValid, formParser, interactionUid, isSendCode, text, translateFields, type FieldErrors, type Msg } from './forms.ts';
import { register, sendRegistrationCode, type CitizenDeps } from './registration.ts';
import { resetPassword, sendRecoveryCode } from './recovery.ts';
import { sendLoginCode, smsAuthenticate } from './sms-login.ts';
import { messagePage } from '../http/forms.ts';

const TICKET_SECONDS = 300;

interface PageState {
  fields?: FieldErrors;
  notice?: Msg & { error: boolean };
  message?: Msg;
  values?: Record<string, string>;
  focus?: string;
  offerRecovery?: boolean;
}

function donePage(ctx: Context, locale: Locale, heading: string, lines: string[], link?: { href: string; label: string }) {
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading, kind: 'notice', message: lines[0], next: lines.slice(1).join(' ') || undefined, link });
}

/** The first field with a message, or the given one: where the cursor goes when the page comes back. */
function focusOf(state: PageState, order: string[], fallback: string): string {
  return order.find((f) => state.fields?.[f]) ?? state.focus ?? fallback;
}

function view(locale: Locale, state: PageState, order: string[], fallback: string) {
  return {
    fields: translateFields(locale, state.fields ?? {}),
    notice: state.notice ? { text: text(locale, state.notice), error: state.notice.error } : undefined,
    message: text(locale, state.message),
    focus: focusOf(state, order, fallback),
    offerRecovery: state.offerRecovery,
    ...state.values,
  };
}

function ticketMac(app: AppContext, uid: string, sub: string, exp: number): string {
  return app.keyring.blindIndex('register-ticket', `${uid}\n${sub}\n${exp}`);
}

export function citizenRouter(app: AppContext, getProvider: () => Provider, deps: CitizenDeps & { throttle: LoginThrottle }): Router {
  const router = new Router();

  router.use(async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    try {
      await next();
    } catch (err) {
      if (err instanceof errors.SessionNotFound) return messagePage(ctx, 400, 'interaction.expired');
      throw err;
    }
  });

  const who = (ctx: Context, clientId: string | null = null) => ({ ip: ctx.ip, clientId });
  /** Said up front on every SMS form when no gateway is configured (production without SMS_PROVIDER). */
  const smsOff = () => (deps.codes.configured ? undefined : { key: 'sms.off', error: true });

  /** Finishes the sign-in in progress as `sub` (SMS login, or a registration that began there). */
  async function finishLogin(ctx: Context, provider: Provider, clientId: string, sub: string) {
    const meta = await loadClientMetadata(app, clientId);
    const login = { accountId: sub, acr: ACR_PASSWORD, amr: ['sms'], remember: false };
    await provider.interactionFinished(ctx.req, ctx.res, meta?.yitong_first_party ? { login, consent: {} } : { login }, { mergeWithLastSubmission: false });
  }

  // ---- SMS login ----------------------------------------------------------------------------

  const SMS_ORDER = ['phone', 'sms_code'];

  async function renderSms(ctx: Context, provider: Provider, details: Awaited<ReturnType<Provider['interactionDetails']>>, state: PageState = {}) {
    const locale = localeOf(ctx);
    const client = await provider.Client.find(String(details.params.client_id));
    ctx.type = 'html';
    ctx.body = renderPage(
      'sms-login',
      locale,
      { uid: details.uid, csrf: csrfToken(app.keyring, details.uid), clientName: client?.clientName ?? null, ...view(locale, state, SMS_ORDER, 'phone') },
      `/interaction/${details.uid}/sms`,
    );
  }

  router.get('/interaction/:uid/sms', async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') return messagePage(ctx, 400, 'interaction.expired');
    await renderSms(ctx, provider, details, { notice: smsOff() });
  });

  router.post('/interaction/:uid/sms', formParser, async (ctx) => {
    const provider = getProvider();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) return messagePage(ctx, 403, 'csrf.invalid');
    if (details.prompt.name !== 'login') return messagePage(ctx, 400, 'interaction.expired');
    const clientId = String(details.params.client_id ?? '') || null;
    const values = { phone: field(ctx, 'phone', 32), sms_code: field(ctx, 'sms_code', 16) };
    if (isSendCode(ctx)) {
      const r = await sendLoginCode(app, deps, values.phone, who(ctx, clientId));
      if (r.fields.phone) ctx.status = 400;
      return renderSms(ctx, provider, details, { ...r, values: { phone: values.phone }, focus: r.fields.phone ? 'phone' : 'sms_code' });
    }
    const r = await smsAuthenticate(app, deps, { phone: values.phone, smsCode: values.sms_code }, who(ctx, clientId));
    if (!r.ok) {
      const malformed = Boolean(r.fields.phone) || ['code.format', 'code.missing'].includes(r.fields.sms_code?.key ?? '');
      ctx.status = r.message?.key === 'login.throttled' ? 429 : malformed ? 400 : 401;
      return renderSms(ctx, provider, details, { fields: r.fields, message: r.message, values: { phone: values.phone } });
    }
    await finishLogin(ctx, provider, String(details.params.client_id), r.person.sub);
  });

  // ---- registration ---------------------------------------------------------------------------

  const REGISTER_ORDER = ['id_number', 'name', 'phone', 'sms_code', 'password'];

  function renderRegister(ctx: Context, uid: string | null, state: PageState = {}) {
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(
      'register',
      locale,
      { uid, csrf: formCsrf(app, ctx), ...view(locale, state, REGISTER_ORDER, 'id_number') },
      uid ? `/register?interaction=${uid}` : '/register',
    );
  }

  router.get('/register', (ctx) => renderRegister(ctx, interactionUid(ctx.query.interaction), { notice: smsOff() }));

  router.post('/register', formParser, async (ctx) => {
    const uid = interactionUid(ctx.query.interaction);
    if (!formCsrfValid(app, ctx, field(ctx, 'csrf'))) return messagePage(ctx, 403, 'csrf.invalid');
    const values = {
      id_number: field(ctx, 'id_number', 64),
      name: field(ctx, 'name', 128),
      phone: field(ctx, 'phone', 32),
      sms_code: field(ctx, 'sms_code', 16),
      password: field(ctx, 'password', 1024),
    };
    if (isSendCode(ctx)) {
      const r = await sendRegistrationCode(app, deps, values.phone, who(ctx));
      if (r.fields.phone) ctx.status = 400;
      return renderRegister(ctx, uid, { ...r, values, focus: r.fields.phone ? 'phone' : 'sms_code' });
    }
    const r = await register(app, deps, { idNumber: values.id_number, name: values.name, phone: values.phone, smsCode: values.sms_code, password: values.password }, who(ctx));
    if (!r.ok) {
      ctx.status = r.message?.key === 'register.throttled' ? 429 : r.offerRecovery ? 409 : 400;
      return renderRegister(ctx, uid, { fields: r.fields, message: r.message, offerRecovery: r.offerRecovery, values });
    }
    const locale = localeOf(ctx);
    if (uid) {
      const exp = Math.floor(Date.now() / 1000) + TICKET_SECONDS;
      const q = new URLSearchParams({ sub: r.person.sub, exp: String(exp), t: ticketMac(app, uid, r.person.sub, exp) });
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uid}/registered?${q}`);
    }
    donePage(ctx, locale, tr(locale, 'register.done_heading'), [
      tr(locale, 'register.done'),
      ...(r.idv === 'match' ? [tr(locale, 'register.done_level2')] : r.idv === 'unavailable' ? [tr(locale, 'register.done_pending')] : []),
    ]);
  });

  // A registration that started from a sign-in continues it: the ticket says who registered, for
  // this interaction only (whose cookie only this browser holds), for 5 minutes.
  router.get('/interaction/:uid/registered', async (ctx) => {
    const locale = localeOf(ctx);
    const q = ctx.query;
    const sub = typeof q.sub === 'string' ? q.sub : '';
    const exp = Number(q.exp);
    const mac = typeof q.t === 'string' ? q.t : '';
    const uid = ctx.params.uid;
    if (!sub || !Number.isInteger(exp) || exp < Date.now() / 1000 || !safeEqual(ticketMac(app, uid, sub, exp), mac)) return messagePage(ctx, 400, 'interaction.expired');
    const provider = getProvider();
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (!(err instanceof errors.SessionNotFound)) throw err;
      return donePage(ctx, locale, tr(locale, 'register.done_heading'), [tr(locale, 'register.expired_login')]);
    }
    if (details.uid !== uid || details.prompt.name !== 'login') return donePage(ctx, locale, tr(locale, 'register.done_heading'), [tr(locale, 'register.expired_login')]);
    const person = await findPersonBySub(app, sub);
    if (!person || person.status !== 'active') return messagePage(ctx, 400, 'interaction.expired');
    const clientId = String(details.params.client_id);
    await app.audit.append({ event: 'login.success', outcome: 'success', actor: sub, clientId, ip: ctx.ip, detail: { method: 'sms', via: 'register' } });
    await finishLogin(ctx, provider, clientId, sub);
  });

  // ---- recovery -------------------------------------------------------------------------------

  const RECOVER_ORDER = ['identifier', 'sms_code', 'new_password'];

  function renderRecover(ctx: Context, uid: string | null, state: PageState = {}) {
    const locale = localeOf(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(
      'recover',
      locale,
      { uid, csrf: formCsrf(app, ctx), ...view(locale, state, RECOVER_ORDER, 'identifier') },
      uid ? `/account/recover?interaction=${uid}` : '/account/recover',
    );
  }

  router.get('/account/recover', (ctx) => renderRecover(ctx, interactionUid(ctx.query.interaction), { notice: smsOff() }));

  router.post('/account/recover', formParser, async (ctx) => {
    const uid = interactionUid(ctx.query.interaction);
    if (!formCsrfValid(app, ctx, field(ctx, 'csrf'))) return messagePage(ctx, 403, 'csrf.invalid');
    const values = { identifier: field(ctx, 'identifier', 256), sms_code: field(ctx, 'sms_code', 16), new_password: field(ctx, 'new_password', 1024) };
    if (isSendCode(ctx)) {
      const r = await sendRecoveryCode(app, deps, values.identifier, who(ctx));
      if (r.fields.identifier) ctx.status = 400;
      return renderRecover(ctx, uid, { ...r, values, focus: r.fields.identifier ? 'identifier' : 'sms_code' });
    }
    const r = await resetPassword(app, deps, { identifier: values.identifier, smsCode: values.sms_code, newPassword: values.new_password }, who(ctx));
    if (!r.ok) {
      ctx.status = 400;
      return renderRecover(ctx, uid, { fields: r.fields, message: r.message, values });
    }
    const locale = localeOf(ctx);
    donePage(ctx, locale, tr(locale, 'recover.done_heading'), [tr(locale, 'recover.done')], uid ? { href: `/interaction/${uid}`, label: tr(locale, 'recover.back_to_login') } : undefined);
  });

  return router;
}
