// "两步验证与通行密钥" in the account centre (/account/security/mfa): set up or turn off the
// authenticator app, recovery codes (shown once, regenerated on demand), passkeys (register,
// remove). Same conventions as src/account/pages.ts: the shared self-service sign-in, the
// session's CSRF token on every POST, POST-redirect-GET after a change, no script except on the
// pages that register a passkey.
//
// Proof before a change: adding the first second factor needs the current password (as any
// sensitive act, counted by the login throttle); with a second factor in place, adding, removing
// or regenerating needs a fresh second factor: a code from the authenticator app or a recovery code
// in the form, or a second factor used to sign in within the last five minutes.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { maskName } from '../identity/mask.ts';
import { csrfOk, requireSignIn, signInUrl, type SignedIn } from '../selfservice/portal.ts';
import { confirmOwner, needsFreshSignIn } from '../account/confirm.ts';
import { formatTime } from '../account/pages.ts';
import { personThrottleAccount } from '../interactions/authenticate.ts';
import type { MfaPageDeps } from './pages.ts';
import { factorSummary, passkeyStore, recoveryStore, smsStore, totpStore } from './store.ts';
import { verifiedPhoneOf } from '../accounts/phone.ts';
import type { Person } from '../accounts/person.ts';
import { checkCode, pendingEnrolment, startEnrolment } from './totp.ts';
import { generateRecoveryCodes, useRecoveryCode } from './recovery.ts';
import { registerPasskey, registrationOptions } from './passkeys.ts';
import { freshSecondFactor } from './fresh.ts';
import { groupSecret, qrDataUri } from './qr.ts';
import { allowPasskeyScript } from './csp.ts';

const form = bodyParser({ enableTypes: ['form'], formLimit: '32kb', encoding: 'utf-8' });
const PAGE = '/account/security/mfa';
const DONE = new Set(['totp_on', 'totp_off', 'passkey', 'passkey_removed', 'sms_on', 'sms_off']);

function field(ctx: Context, name: string, max = 256): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

type Errors = Record<string, string>;

export { FRESH_SECOND_FACTOR_SECONDS } from './fresh.ts';

export function mfaAccountRouter(app: AppContext, getProvider: () => Provider, deps: MfaPageDeps): Router {
  const router = new Router();
  const signIn = (ctx: Context) => requireSignIn(app, getProvider(), ctx, 'selfservice.sign_in_required');

  const messagePage = (ctx: Context, status: number, code: string) => {
    const locale = localeOf(ctx);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code, link: { href: PAGE, label: tr(locale, 'account.security.mfa') } });
  };

  const render = (ctx: Context, s: SignedIn, view: string, data: Record<string, unknown>) => {
    const locale = localeOf(ctx);
    const done = typeof ctx.query.done === 'string' && DONE.has(ctx.query.done) ? tr(locale, `mfa.account.done.${ctx.query.done}`) : undefined;
    const errors = Object.fromEntries(Object.entries((data.errors as Errors | undefined) ?? {}).map(([k, v]) => [k, tr(locale, v)]));
    ctx.type = 'html';
    ctx.body = renderPage(view, locale, { done, ...data, errors, nav: 'security', csrf: s.csrf, personName: maskName(s.person.name) }, ctx.path);
  };

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

  /** SMS codes are offered by this deployment (an `sms` factor is wired in). */
  const smsOffered = deps.otpFactors.some((f) => f.amr === 'sms');
  /** Whether the person has SMS codes on and usable (chosen, phone verified). */
  const smsOn = async (person: Person): Promise<boolean> => {
    for (const f of deps.otpFactors) if (f.amr === 'sms' && (await f.enrolled(app, person))) return true;
    return false;
  };

  /**
   * Proof that the person at the keyboard owns the account, for a change to second factors; the
   * field and message key of what is missing or wrong, or null.
   */
  const prove = async (ctx: Context, s: SignedIn): Promise<Errors | null> => {
    const summary = await factorSummary(app.db, s.person.id);
    if (!summary.totp && !summary.passkeys && !(await smsOn(s.person))) {
      const refused = await confirmOwner(app, deps.throttle, s, field(ctx, 'current_password'), ctx.ip);
      return refused ? { current_password: refused } : null;
    }
    if (await freshSecondFactor(app, s)) return null;
    const keys = { account: personThrottleAccount(s.person.id), ip: ctx.ip };
    const otp = field(ctx, 'otp', 32).trim();
    const recovery = field(ctx, 'recovery_code', 64).trim();
    if (!otp && !recovery) return { otp: 'mfa.fresh_required' };
    const state = await deps.throttle.check(keys);
    if (state.locked) return { otp: 'login.throttled' };
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    if (otp) {
      for (const f of deps.otpFactors) if (await f.enrolled(app, s.person)) if ((await f.check(app, s.person, otp)).ok) return null;
    } else {
      const r = await useRecoveryCode(app, s.person, recovery);
      if (r.ok) {
        await app.audit.append({ event: 'mfa.recovery.use', outcome: 'success', actor: s.person.sub, ip: ctx.ip, detail: { remaining: r.remaining, in: 'account' } });
        return null;
      }
    }
    await deps.throttle.recordFailure(keys);
    await app.audit.append({ event: 'mfa.verify', outcome: 'failure', actor: s.person.sub, ip: ctx.ip, detail: { method: otp ? 'otp' : 'recovery_code', in: 'account' } });
    return { otp: 'mfa.failed' };
  };

  const overview = async (ctx: Context, s: SignedIn, extra: { errors?: Errors; status?: number } = {}) => {
    const locale = localeOf(ctx);
    const [summary, passkeys, fresh, sms] = await Promise.all([factorSummary(app.db, s.person.id), passkeyStore.byPerson(app.db, s.person.id), freshSecondFactor(app, s), smsOn(s.person)]);
    const hasFactor = summary.totp || summary.passkeys > 0 || sms;
    const passkeyOptions = JSON.stringify(await registrationOptions(app, s.person, s.session.uid));
    allowPasskeyScript(ctx);
    if (extra.status) ctx.status = extra.status;
    render(ctx, s, 'account-mfa', {
      errors: extra.errors,
      totp: summary.totp,
      recoveryLeft: trf(locale, 'mfa.account.recovery_left', { n: String(summary.recoveryCodes) }),
      hasFactor,
      // recovery codes come with the authenticator app or a passkey (not with SMS alone)
      showRecovery: summary.totp || summary.passkeys > 0,
      // what a change asks for: the password (no factor yet), nothing (fresh factor), or a code
      proof: hasFactor ? (fresh ? 'none' : 'code') : needsFreshSignIn(s) ? 'fresh' : 'password',
      canUseCode: summary.totp || summary.recoveryCodes > 0,
      sms: smsOffered ? { on: sms, phone: verifiedPhoneOf(s.person) !== null } : null,
      reauthUrl: `${signInUrl(PAGE)}&fresh=1`,
      passkeys: passkeys.map((p) => ({
        id: p.id,
        name: p.name,
        kind: p.device_type === 'multiDevice' || p.backed_up ? 'swk' : 'hwk',
        added: formatTime(p.created_at),
        used: formatTime(p.last_used_at) ?? tr(locale, 'mfa.account.never'),
      })),
      passkeyOptions,
    });
  };

  router.get(PAGE, async (ctx) => {
    const s = await signIn(ctx);
    if (s) await overview(ctx, s);
  });

  // ---- authenticator app ------------------------------------------------------------------

  const totpSetup = async (ctx: Context, s: SignedIn, errors?: Errors) => {
    const enrolment = await pendingEnrolment(app, s.person);
    if (!enrolment) return seeOther(ctx, PAGE);
    if (errors) ctx.status = 400;
    render(ctx, s, 'account-mfa-totp', { errors, totp: { secret: groupSecret(enrolment.secret), qr: await qrDataUri(enrolment.uri) } });
  };

  router.post(`${PAGE}/totp`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    if ((await totpStore.byPerson(app.db, s.person.id))?.confirmed_at) return messagePage(ctx, 409, 'mfa.totp.active');
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    await startEnrolment(app, s.person);
    seeOther(ctx, `${PAGE}/totp`);
  });

  router.get(`${PAGE}/totp`, async (ctx) => {
    const s = await signIn(ctx);
    if (s) await totpSetup(ctx, s);
  });

  router.post(`${PAGE}/totp/confirm`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const keys = { account: personThrottleAccount(s.person.id), ip: ctx.ip };
    const state = await deps.throttle.check(keys);
    if (state.locked) return totpSetup(ctx, s, { otp: 'login.throttled' });
    const r = await checkCode(app, s.person, field(ctx, 'otp', 32), { confirm: true });
    if (!r.ok) {
      if (r.reason === 'none') return seeOther(ctx, PAGE);
      await deps.throttle.recordFailure(keys);
      return totpSetup(ctx, s, { otp: r.reason === 'format' ? 'mfa.code_missing' : 'mfa.failed' });
    }
    const hadCodes = (await recoveryStore.remaining(app.db, s.person.id)) > 0;
    const codes = await app.db.transaction().execute(async (trx) => {
      await app.audit.append({ event: 'mfa.totp.enrol', outcome: 'success', actor: s.person.sub, ip: ctx.ip }, trx);
      return hadCodes ? null : generateRecoveryCodes(app, trx, s.person, s.person.sub);
    });
    if (!codes) return seeOther(ctx, `${PAGE}?done=totp_on`);
    render(ctx, s, 'mfa-codes', { accountLayout: true, codes, back: `${PAGE}?done=totp_on` });
  });

  router.post(`${PAGE}/totp/disable`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    await app.db.transaction().execute(async (trx) => {
      await totpStore.remove(trx, s.person.id);
      // recovery codes stand in for second factors: with none left, they go too
      if (!(await passkeyStore.byPerson(trx, s.person.id)).length) await recoveryStore.removeAll(trx, s.person.id);
      await app.audit.append({ event: 'mfa.totp.disable', outcome: 'success', actor: s.person.sub, ip: ctx.ip }, trx);
    });
    seeOther(ctx, `${PAGE}?done=totp_off`);
  });

  // ---- SMS codes (to the verified phone) ----------------------------------------------------

  router.post(`${PAGE}/sms`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    if (!smsOffered) return messagePage(ctx, 404, 'mfa.account.sms_no_phone');
    if (!verifiedPhoneOf(s.person)) return overview(ctx, s, { errors: { otp: 'mfa.account.sms_no_phone' }, status: 400 });
    if (await smsOn(s.person)) return seeOther(ctx, `${PAGE}?done=sms_on`);
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    await app.db.transaction().execute(async (trx) => {
      await smsStore.enable(trx, s.person.id);
      await app.audit.append({ event: 'mfa.sms.enable', outcome: 'success', actor: s.person.sub, ip: ctx.ip }, trx);
    });
    seeOther(ctx, `${PAGE}?done=sms_on`);
  });

  router.post(`${PAGE}/sms/disable`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    if (!(await smsStore.chosen(app.db, s.person.id))) return seeOther(ctx, `${PAGE}?done=sms_off`);
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    await app.db.transaction().execute(async (trx) => {
      await smsStore.remove(trx, s.person.id);
      await app.audit.append({ event: 'mfa.sms.disable', outcome: 'success', actor: s.person.sub, ip: ctx.ip }, trx);
    });
    seeOther(ctx, `${PAGE}?done=sms_off`);
  });

  // ---- recovery codes ---------------------------------------------------------------------

  router.post(`${PAGE}/recovery`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const summary = await factorSummary(app.db, s.person.id);
    if (!summary.totp && !summary.passkeys) return seeOther(ctx, PAGE);
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    const codes = await app.db.transaction().execute((trx) => generateRecoveryCodes(app, trx, s.person, s.person.sub));
    render(ctx, s, 'mfa-codes', { accountLayout: true, codes, back: PAGE });
  });

  // ---- passkeys ---------------------------------------------------------------------------

  router.post(`${PAGE}/passkeys`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    const name = field(ctx, 'name', 128).normalize('NFKC').trim();
    if (name.length > 64) return overview(ctx, s, { errors: { name: 'mfa.passkey.name_invalid' }, status: 400 });
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    const r = await registerPasskey(app, s.person, s.session.uid, field(ctx, 'passkey_response', 32_768), name || 'Passkey');
    if (!r.ok) {
      await app.audit.append({ event: 'mfa.passkey.register', outcome: 'failure', actor: s.person.sub, ip: ctx.ip, detail: { reason: r.reason } });
      return overview(ctx, s, { errors: { passkey: 'mfa.passkey.failed' }, status: 400 });
    }
    const hadCodes = (await recoveryStore.remaining(app.db, s.person.id)) > 0;
    const codes = await app.db.transaction().execute(async (trx) => {
      await app.audit.append({ event: 'mfa.passkey.register', outcome: 'success', actor: s.person.sub, ip: ctx.ip, detail: { kind: r.passkey.device_type, user_verified: r.userVerified } }, trx);
      return hadCodes ? null : generateRecoveryCodes(app, trx, s.person, s.person.sub);
    });
    if (!codes) return seeOther(ctx, `${PAGE}?done=passkey`);
    render(ctx, s, 'mfa-codes', { accountLayout: true, codes, back: `${PAGE}?done=passkey` });
  });

  router.post(`${PAGE}/passkeys/:id/remove`, form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    if (!/^[0-9a-f-]{36}$/.test(ctx.params.id)) return messagePage(ctx, 404, 'mfa.passkey.unknown');
    const refused = await prove(ctx, s);
    if (refused) return overview(ctx, s, { errors: refused, status: 400 });
    const removed = await app.db.transaction().execute(async (trx) => {
      if (!(await passkeyStore.remove(trx, s.person.id, ctx.params.id))) return false;
      if (!(await totpStore.byPerson(trx, s.person.id))?.confirmed_at && !(await passkeyStore.byPerson(trx, s.person.id)).length) await recoveryStore.removeAll(trx, s.person.id);
      await app.audit.append({ event: 'mfa.passkey.remove', outcome: 'success', actor: s.person.sub, ip: ctx.ip }, trx);
      return true;
    });
    if (!removed) return messagePage(ctx, 404, 'mfa.passkey.unknown');
    seeOther(ctx, `${PAGE}?done=passkey_removed`);
  });

  return router;
}
