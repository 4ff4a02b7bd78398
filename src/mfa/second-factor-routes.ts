// The second-factor page's POST routes: a code, a recovery code or a passkey (/mfa), and setting a
// factor up inside the login (/mfa/enrol, /mfa/passkey). Thin handlers: check CSRF and the prompt,
// call a service, finish the interaction or render again.
//
// Second-factor failures (a wrong or replayed code, a wrong recovery code, a refused passkey) are
// counted by the login's own throttle against the person and the client address, so they add up
// with password failures toward the same lock; every one of them reads the same message.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { messagePage } from '../http/forms.ts';
import { tr, trf } from '../i18n/ui.ts';
import { lockedMessage } from '../interactions/routes.ts';
import { personThrottleAccount } from '../interactions/authenticate.ts';
import type { ThrottleKeys } from '../interactions/throttle.ts';
import { ACR_MFA, ACR_PHR, type Acr } from '../oidc/acr.ts';
import { combinedAmr } from './levels.ts';
import { factorSummary } from './store.ts';
import { checkCode } from './totp.ts';
import { generateRecoveryCodes, useRecoveryCode } from './recovery.ts';
import { registerPasskey, verifyAssertion } from './passkeys.ts';
import { MFA_PROMPT } from './prompt.ts';
import type { AuditEventName } from '../audit/events.ts';
import { field, form, loadAtPrompt, type Details, type MfaPageDeps } from './prompt-interaction.ts';
import { otpFactorsOf, renderSecondFactor as render, requiredOf } from './second-factor-page.ts';

const epoch = () => Math.floor(Date.now() / 1000);

export function secondFactorRoutes(app: AppContext, getProvider: () => Provider, deps: MfaPageDeps, router: Router) {
  const load = (ctx: Context, prompt: string) => loadAtPrompt(app, getProvider, ctx, prompt);

  const keysOf = (person: Person, ip: string): ThrottleKeys => ({ account: personThrottleAccount(person.id), ip });

  /** The lock in force (rendered), or null to go on (after the progressive delay). */
  const gate = async (ctx: Context, provider: Provider, details: Details, person: Person): Promise<boolean> => {
    const state = await deps.throttle.check(keysOf(person, ctx.ip));
    if (state.retryAfterSeconds > 0) {
      ctx.status = 401;
      ctx.set('retry-after', String(state.retryAfterSeconds));
      await render(app, deps, provider, ctx, details, person, { error: lockedMessage(localeOf(ctx), state.retryAfterSeconds), locked: true });
      return false;
    }
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    return true;
  };

  /** A refused second factor: counted, audited, and said like every other. */
  const refuse = async (ctx: Context, provider: Provider, details: Details, person: Person, method: string, reason: string) => {
    const keys = keysOf(person, ctx.ip);
    const { lockedNow } = await deps.throttle.recordFailure(keys);
    const clientId = String(details.params.client_id);
    await app.audit.append({ event: 'mfa.verify', outcome: 'failure', actor: person.sub, clientId, ip: ctx.ip, detail: { method, reason } });
    if (lockedNow) await app.audit.append({ event: 'login.lockout', outcome: 'info', actor: person.sub, clientId, ip: ctx.ip, detail: { after: 'mfa' } });
    const after = await deps.throttle.check(keys);
    ctx.status = 401;
    const locale = localeOf(ctx);
    if (after.retryAfterSeconds > 0) {
      ctx.set('retry-after', String(after.retryAfterSeconds));
      return render(app, deps, provider, ctx, details, person, { error: lockedMessage(locale, after.retryAfterSeconds), locked: true });
    }
    return render(app, deps, provider, ctx, details, person, { error: tr(locale, 'mfa.failed') });
  };

  /** The login result after a second factor: the session's first factor, this one, and `mfa`. */
  const loginResult = (details: Details, person: Person, acr: Acr, methods: string[]) => {
    const last = details.lastSubmission as { login?: { remember?: boolean } } | undefined;
    return { login: { accountId: person.sub, acr, amr: combinedAmr(details.session?.amr, methods), ts: epoch(), remember: last?.login?.remember ?? false } };
  };

  const succeeded = async (ctx: Context, details: Details, person: Person, method: string, acr: Acr) => {
    await deps.throttle.recordSuccess(keysOf(person, ctx.ip));
    await app.audit.append({ event: 'mfa.verify', outcome: 'success', actor: person.sub, clientId: String(details.params.client_id), ip: ctx.ip, detail: { method, acr } });
  };

  /** A page between the second factor and the app (recovery codes to note, codes left); its button resumes. */
  const interstitial = (ctx: Context, view: string, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.body = renderPage(view, localeOf(ctx), data);
  };

  router.post('/interaction/:uid/mfa', form, async (ctx) => {
    const loaded = await load(ctx, MFA_PROMPT);
    if (!loaded) return;
    const { provider, details, person } = loaded;
    const required = requiredOf(details);
    if (!(await gate(ctx, provider, details, person))) return;

    const passkey = field(ctx, 'passkey_response', 16_384);
    if (passkey) {
      const r = await verifyAssertion(app, person, details.uid, passkey, { requireUserVerification: required === ACR_PHR });
      if (!r.ok) return refuse(ctx, provider, details, person, 'passkey', r.reason);
      const acr = r.userVerified ? ACR_PHR : ACR_MFA;
      await succeeded(ctx, details, person, 'passkey', acr);
      return provider.interactionFinished(ctx.req, ctx.res, loginResult(details, person, acr, [r.amr]), { mergeWithLastSubmission: true });
    }
    if (required === ACR_PHR) return refuse(ctx, provider, details, person, 'otp', 'phr_required');

    if (field(ctx, 'action', 32) === 'send_code') {
      // a code by SMS (or another factor that sends one); the send limits are the code service's
      const locale = localeOf(ctx);
      const sender = (await otpFactorsOf(app, deps, person)).find((f) => f.send);
      if (!sender?.send) {
        ctx.status = 400;
        return render(app, deps, provider, ctx, details, person, { error: tr(locale, 'sms.unavailable') });
      }
      const r = await sender.send(app, person, ctx.ip);
      const text = r.params ? trf(locale, r.message, Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, String(v)]))) : tr(locale, r.message);
      if (!r.ok) ctx.status = 429;
      return render(app, deps, provider, ctx, details, person, r.ok ? { notice: text } : { error: text });
    }

    const recovery = field(ctx, 'recovery_code', 64);
    if (recovery.trim()) {
      const r = await useRecoveryCode(app, person, recovery);
      if (!r.ok) return refuse(ctx, provider, details, person, 'recovery_code', r.reason);
      await succeeded(ctx, details, person, 'recovery_code', ACR_MFA);
      await app.audit.append({ event: 'mfa.recovery.use', outcome: 'success', actor: person.sub, clientId: String(details.params.client_id), ip: ctx.ip, detail: { remaining: r.remaining } });
      const returnTo = await provider.interactionResult(ctx.req, ctx.res, loginResult(details, person, ACR_MFA, ['otp']), { mergeWithLastSubmission: true });
      const locale = localeOf(ctx);
      return interstitial(ctx, 'mfa-recovery-used', {
        remaining: trf(locale, 'mfa.recovery.remaining', { n: String(r.remaining) }),
        low: r.remaining <= 3,
        returnTo,
      });
    }

    const code = field(ctx, 'otp', 32);
    const factors = await otpFactorsOf(app, deps, person);
    if (!code.trim() || !factors.length) {
      ctx.status = 400;
      return render(app, deps, provider, ctx, details, person, { error: tr(localeOf(ctx), 'mfa.code_missing') });
    }
    let reason = 'wrong';
    for (const f of factors) {
      const r = await f.check(app, person, code);
      if (r.ok) {
        await succeeded(ctx, details, person, f.amr, ACR_MFA);
        return provider.interactionFinished(ctx.req, ctx.res, loginResult(details, person, ACR_MFA, [f.amr]), { mergeWithLastSubmission: true });
      }
      if (r.reason === 'replay') reason = 'replay';
    }
    return refuse(ctx, provider, details, person, 'otp', reason);
  });

  /** Setting up a second factor inside the login (a person who must have one and has none). */
  const enrolAllowed = async (details: Details, person: Person): Promise<boolean> => {
    const s = await factorSummary(app.db, person.id);
    const phr = requiredOf(details) === ACR_PHR;
    // a factor of another kind (SMS) counts too: setting one up here would skip it
    return phr ? s.passkeys === 0 : !(s.totp || s.passkeys || (await otpFactorsOf(app, deps, person)).length);
  };

  const withCodes = async (ctx: Context, provider: Provider, details: Details, person: Person, acr: Acr, methods: string[], event: AuditEventName) => {
    const codes = await app.db.transaction().execute(async (trx) => {
      await app.audit.append({ event, outcome: 'success', actor: person.sub, clientId: String(details.params.client_id), ip: ctx.ip, detail: { in_login: true } }, trx);
      return generateRecoveryCodes(app, trx, person, person.sub);
    });
    await succeeded(ctx, details, person, methods[0], acr);
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, loginResult(details, person, acr, methods), { mergeWithLastSubmission: true });
    return interstitial(ctx, 'mfa-codes', { codes, returnTo, method: 'get' });
  };

  router.post('/interaction/:uid/mfa/enrol', form, async (ctx) => {
    const loaded = await load(ctx, MFA_PROMPT);
    if (!loaded) return;
    const { provider, details, person } = loaded;
    if (!(await enrolAllowed(details, person)) || requiredOf(details) === ACR_PHR) return messagePage(ctx, 400, 'interaction.expired');
    if (!(await gate(ctx, provider, details, person))) return;
    const r = await checkCode(app, person, field(ctx, 'otp', 32), { confirm: true });
    if (!r.ok) return refuse(ctx, provider, details, person, 'otp_enrol', r.reason);
    return withCodes(ctx, provider, details, person, ACR_MFA, ['otp'], 'mfa.totp.enrol');
  });

  router.post('/interaction/:uid/mfa/passkey', form, async (ctx) => {
    const loaded = await load(ctx, MFA_PROMPT);
    if (!loaded) return;
    const { provider, details, person } = loaded;
    if (!(await enrolAllowed(details, person))) return messagePage(ctx, 400, 'interaction.expired');
    if (!(await gate(ctx, provider, details, person))) return;
    const r = await registerPasskey(app, person, details.uid, field(ctx, 'passkey_response', 32_768), field(ctx, 'name', 64) || 'Passkey');
    if (!r.ok) return refuse(ctx, provider, details, person, 'passkey_register', r.reason);
    const acr = r.userVerified ? ACR_PHR : ACR_MFA;
    if (requiredOf(details) === ACR_PHR && acr !== ACR_PHR) return refuse(ctx, provider, details, person, 'passkey_register', 'no_user_verification');
    return withCodes(ctx, provider, details, person, acr, [r.passkey.device_type === 'multiDevice' || r.passkey.backed_up ? 'swk' : 'hwk'], 'mfa.passkey.register');
  });
}
