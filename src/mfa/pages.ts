// The second-factor page (prompt `mfa`) and the real-name refusal page (prompt `real_name`), with
// their POST routes. Thin handlers: parse, check CSRF and the prompt, call a service, finish the
// interaction or render again.
//
// Second-factor failures (a wrong or replayed code, a wrong recovery code, a refused passkey) are
// counted by the login's own throttle against the person and the client address, so they add up
// with password failures toward the same lock; every one of them reads the same message.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { InteractionDetails } from '../feature.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { personStore } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { maskName } from '../identity/mask.ts';
import { csrfToken, csrfValid } from '../interactions/csrf.ts';
import { lockedMessage } from '../interactions/routes.ts';
import { personThrottleAccount } from '../interactions/authenticate.ts';
import type { LoginThrottle, ThrottleKeys } from '../interactions/throttle.ts';
import { ACR_MFA, ACR_PHR, isAcr, type Acr } from '../oidc/acr.ts';
import type { OtpFactor } from './factors.ts';
import { combinedAmr } from './levels.ts';
import { factorSummary } from './store.ts';
import { ensureEnrolment, checkCode } from './totp.ts';
import { generateRecoveryCodes, useRecoveryCode } from './recovery.ts';
import { authenticationOptions, registerPasskey, registrationOptions, verifyAssertion } from './passkeys.ts';
import { groupSecret, qrDataUri } from './qr.ts';
import { allowPasskeyScript } from './csp.ts';
import { MFA_PROMPT, REAL_NAME_PROMPT } from './prompt.ts';
import { REAL_NAME_LEVELS } from '../accounts/service.ts';
import type { AuditEventName } from '../audit/events.ts';

type Details = InteractionDetails;

async function findPersonById(app: AppContext, id: string): Promise<Person | null> {
  const row = await personStore.byId(app.db, id);
  return row ? openPerson(app.keyring, row) : null;
}

const form = bodyParser({ enableTypes: ['form'], formLimit: '32kb', encoding: 'utf-8' });
const epoch = () => Math.floor(Date.now() / 1000);

function field(ctx: Context, name: string, max = 256): string {
  const v = (ctx.request.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

function messagePage(ctx: Context, status: number, code: string) {
  const locale = localeOf(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = renderPage('message', locale, { heading: tr(locale, 'error.heading'), kind: 'error', message: tr(locale, code), code });
}

export interface MfaPageDeps {
  throttle: LoginThrottle;
  otpFactors: OtpFactor[];
}

interface PageState {
  error?: string;
  locked?: boolean;
}

/** What the prompt asks for: mfa or phr (the check's details). */
function requiredOf(details: Details): Acr {
  const acr = (details.prompt.details as { acr?: unknown }).acr;
  return isAcr(acr) && acr === ACR_PHR ? ACR_PHR : ACR_MFA;
}

async function otpFactorsOf(app: AppContext, deps: MfaPageDeps, person: Person): Promise<OtpFactor[]> {
  const out: OtpFactor[] = [];
  for (const f of deps.otpFactors) if (await f.enrolled(app, person)) out.push(f);
  return out;
}

async function render(app: AppContext, deps: MfaPageDeps, provider: Provider, ctx: Context, details: Details, person: Person, state: PageState = {}) {
  const locale = localeOf(ctx);
  const client = await provider.Client.find(String(details.params.client_id));
  const appName = client?.clientName ?? String(details.params.client_id);
  const required = requiredOf(details);
  const phr = required === ACR_PHR;
  const summary = await factorSummary(app.db, person.id);
  const otp = phr ? [] : await otpFactorsOf(app, deps, person);
  const enrolling = phr ? summary.passkeys === 0 : !(otp.length || summary.passkeys);
  const base = { uid: details.uid, csrf: csrfToken(app.keyring, details.uid), appName, personName: maskName(person.name), ...state };

  if (enrolling) {
    const enrolment = phr ? null : await ensureEnrolment(app, person);
    const passkeyOptions = await registrationOptions(app, person, details.uid);
    allowPasskeyScript(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(
      'mfa-enrol',
      locale,
      {
        ...base,
        intro: trf(locale, phr ? 'mfa.enrol.phr_required' : 'mfa.enrol.required', { app: appName }),
        totp: enrolment ? { secret: groupSecret(enrolment.secret), qr: await qrDataUri(enrolment.uri) } : null,
        passkeyOptions: JSON.stringify(passkeyOptions),
      },
      `/interaction/${details.uid}`,
    );
    return;
  }

  const passkeyOptions = summary.passkeys ? JSON.stringify(await authenticationOptions(app, person, details.uid, phr ? 'required' : 'preferred')) : null;
  if (passkeyOptions) allowPasskeyScript(ctx);
  const stepUp = Boolean(details.session?.acr) && !(details.lastSubmission as { login?: unknown } | undefined)?.login;
  ctx.type = 'html';
  ctx.body = renderPage(
    'mfa-prompt',
    locale,
    {
      ...base,
      intro: phr ? trf(locale, 'mfa.intro_phr', { app: appName }) : stepUp ? trf(locale, 'mfa.intro_step_up', { app: appName }) : tr(locale, 'mfa.intro'),
      otp: otp.length > 0,
      sendCode: otp.some((f) => f.send),
      recovery: !phr && summary.recoveryCodes > 0,
      passkeyOptions,
    },
    `/interaction/${details.uid}`,
  );
}

/** GET /interaction/:uid while the prompt is `mfa`. */
export async function mfaPage(app: AppContext, deps: MfaPageDeps, ctx: Context, details: Details, provider: Provider): Promise<void> {
  const person = details.session?.accountId ? await findPersonBySub(app, details.session.accountId) : null;
  if (!person) return messagePage(ctx, 400, 'interaction.expired');
  await render(app, deps, provider, ctx, details, person);
}

/** GET /interaction/:uid while the prompt is `real_name`. */
export async function realNamePage(app: AppContext, ctx: Context, details: Details, provider: Provider): Promise<void> {
  const person = details.session?.accountId ? await findPersonBySub(app, details.session.accountId) : null;
  if (!person) return messagePage(ctx, 400, 'interaction.expired');
  const locale = localeOf(ctx);
  const required = Number((details.prompt.details as { min_real_name_level?: unknown }).min_real_name_level ?? 2);
  const client = await provider.Client.find(String(details.params.client_id));
  const appName = client?.clientName ?? String(details.params.client_id);
  const levelText = (n: number) => tr(locale, `account.level.${n}`);
  ctx.type = 'html';
  ctx.body = renderPage(
    'mfa-real-name',
    locale,
    {
      uid: details.uid,
      csrf: csrfToken(app.keyring, details.uid),
      intro: trf(locale, 'realname.intro', { app: appName, required: levelText(required), current: levelText(person.realNameLevel) }),
      steps: REAL_NAME_LEVELS.filter((l) => l > person.realNameLevel && l <= required).map((l) => tr(locale, `realname.how.${l}`)),
    },
    `/interaction/${details.uid}`,
  );
}

export function mfaInteractionRouter(app: AppContext, getProvider: () => Provider, deps: MfaPageDeps): Router {
  const router = new Router();

  /** The interaction, its person and a valid CSRF token for a POST to a prompt's page; null after answering. */
  const load = async (ctx: Context, prompt: string): Promise<{ provider: Provider; details: Details; person: Person } | null> => {
    ctx.set('cache-control', 'no-store');
    const provider = getProvider();
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        messagePage(ctx, 400, 'interaction.expired');
        return null;
      }
      throw err;
    }
    if (!csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) {
      messagePage(ctx, 403, 'csrf.invalid');
      return null;
    }
    const person = details.prompt.name === prompt && details.session?.accountId ? await findPersonBySub(app, details.session.accountId) : null;
    if (!person || person.status !== 'active') {
      messagePage(ctx, 400, 'interaction.expired');
      return null;
    }
    return { provider, details, person };
  };

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
    return phr ? s.passkeys === 0 : !(s.totp || s.passkeys);
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

  // ---- passwordless: a passkey with user verification instead of the password (acr phr) ------

  /** The interaction while the login prompt is pending; null after answering. */
  const atLogin = async (ctx: Context, post: boolean): Promise<{ provider: Provider; details: Details } | null> => {
    ctx.set('cache-control', 'no-store');
    const provider = getProvider();
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (err) {
      if (err instanceof errors.SessionNotFound) {
        messagePage(ctx, 400, 'interaction.expired');
        return null;
      }
      throw err;
    }
    if (post && !csrfValid(app.keyring, details.uid, field(ctx, 'csrf'))) {
      messagePage(ctx, 403, 'csrf.invalid');
      return null;
    }
    if (details.prompt.name !== 'login') {
      messagePage(ctx, 400, 'interaction.expired');
      return null;
    }
    return { provider, details };
  };

  const passwordlessPage = async (ctx: Context, provider: Provider, details: Details, state: PageState = {}) => {
    const client = await provider.Client.find(String(details.params.client_id));
    const options = await authenticationOptions(app, null, details.uid, 'required');
    allowPasskeyScript(ctx);
    ctx.type = 'html';
    ctx.body = renderPage(
      'mfa-passwordless',
      localeOf(ctx),
      { uid: details.uid, csrf: csrfToken(app.keyring, details.uid), appName: client?.clientName ?? null, passkeyOptions: JSON.stringify(options), ...state },
      `/interaction/${details.uid}/passkey`,
    );
  };

  router.get('/interaction/:uid/passkey', async (ctx) => {
    const at = await atLogin(ctx, false);
    if (at) await passwordlessPage(ctx, at.provider, at.details);
  });

  router.post('/interaction/:uid/passkey', form, async (ctx) => {
    const at = await atLogin(ctx, true);
    if (!at) return;
    const { provider, details } = at;
    const clientId = String(details.params.client_id ?? '') || null;
    const locale = localeOf(ctx);
    const r = await verifyAssertion(app, null, details.uid, field(ctx, 'passkey_response', 16_384), { requireUserVerification: true });
    const personId = r.personId;
    const keys: ThrottleKeys = { account: personId ? personThrottleAccount(personId) : null, ip: ctx.ip };
    const state = await deps.throttle.check(keys);
    if (state.retryAfterSeconds > 0) {
      ctx.status = 401;
      ctx.set('retry-after', String(state.retryAfterSeconds));
      return passwordlessPage(ctx, provider, details, { error: lockedMessage(locale, state.retryAfterSeconds), locked: true });
    }
    const person = r.ok ? await findPersonById(app, r.personId) : null;
    if (!r.ok || !person || person.status !== 'active') {
      const { lockedNow } = await deps.throttle.recordFailure(keys);
      await app.audit.append({ event: 'login.failure', outcome: 'failure', actor: null, clientId, ip: ctx.ip, detail: { method: 'passkey', reason: r.ok ? 'inactive' : r.reason } });
      if (lockedNow && person) await app.audit.append({ event: 'login.lockout', outcome: 'info', actor: person.sub, clientId, ip: ctx.ip, detail: { after: 'passkey' } });
      ctx.status = 401;
      return passwordlessPage(ctx, provider, details, { error: tr(locale, 'mfa.failed') });
    }
    await deps.throttle.recordSuccess(keys);
    await app.audit.append({ event: 'login.success', outcome: 'success', actor: person.sub, clientId, ip: ctx.ip, detail: { method: 'passkey', acr: ACR_PHR } });
    const login = { accountId: person.sub, acr: ACR_PHR, amr: [r.amr, 'mfa'], remember: false };
    await provider.interactionFinished(ctx.req, ctx.res, { login }, { mergeWithLastSubmission: false });
  });

  router.post('/interaction/:uid/real-name', form, async (ctx) => {
    const loaded = await load(ctx, REAL_NAME_PROMPT);
    if (!loaded) return;
    const { provider, details, person } = loaded;
    const required = Number((details.prompt.details as { min_real_name_level?: unknown }).min_real_name_level ?? 0);
    const clientId = String(details.params.client_id);
    await app.audit.append({ event: 'login.real_name', outcome: 'denied', actor: person.sub, clientId, ip: ctx.ip, detail: { level: person.realNameLevel, required } });
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: `real-name level ${required} required; the End-User is at level ${person.realNameLevel}` },
      { mergeWithLastSubmission: false },
    );
  });

  return router;
}
