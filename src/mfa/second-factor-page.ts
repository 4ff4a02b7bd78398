// The second-factor page (prompt `mfa`): asks for a code, a recovery code or a passkey, or, for a
// person who must have a second factor and has none, sets one up inside the login.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { Person } from '../accounts/person.ts';
import { findPersonBySub } from '../accounts/service.ts';
import { renderPage } from '../http/views.ts';
import { localeOf } from '../http/locale.ts';
import { messagePage } from '../http/forms.ts';
import { tr, trf } from '../i18n/ui.ts';
import { maskName } from '../identity/mask.ts';
import { csrfToken } from '../interactions/csrf.ts';
import { ACR_MFA, ACR_PHR, isAcr, type Acr } from '../oidc/acr.ts';
import type { OtpFactor } from './factors.ts';
import { factorSummary } from './store.ts';
import { ensureEnrolment } from './totp.ts';
import { authenticationOptions, registrationOptions } from './passkeys.ts';
import { groupSecret, qrDataUri } from './qr.ts';
import { allowPasskeyScript } from './csp.ts';
import type { Details, MfaPageDeps, PageState } from './prompt-interaction.ts';

/** What the prompt asks for: mfa or phr (the check's details). */
export function requiredOf(details: Details): Acr {
  const acr = (details.prompt.details as { acr?: unknown }).acr;
  return isAcr(acr) && acr === ACR_PHR ? ACR_PHR : ACR_MFA;
}

export async function otpFactorsOf(app: AppContext, deps: MfaPageDeps, person: Person): Promise<OtpFactor[]> {
  const out: OtpFactor[] = [];
  for (const f of deps.otpFactors) if (await f.enrolled(app, person)) out.push(f);
  return out;
}

/** The second-factor page, or the set-up page when the person has no usable factor yet. */
export async function renderSecondFactor(app: AppContext, deps: MfaPageDeps, provider: Provider, ctx: Context, details: Details, person: Person, state: PageState = {}) {
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
  await renderSecondFactor(app, deps, provider, ctx, details, person);
}
