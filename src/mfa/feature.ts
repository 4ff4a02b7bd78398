// The MFA feature (issue 11): second factors (authenticator app, recovery codes, passkeys; SMS
// codes plug in as an OtpFactor), assurance levels with step-up, and apps' minimum acr and
// real-name level. It adds the `real_name` and `mfa` prompts with their pages, the account
// centre's two-step verification pages, the passkey script, the `person reset-mfa` service (CLI in
// cli.ts), and housekeeping of expired challenges and old session levels.
//
// Seams for other features:
// - admins (src/admin): `mfaFeatureWith({ requirements: [adminRequirement] })` in server.ts, where
//   adminRequirement(app, person) answers ACR_MFA for anyone with an admin role: every sign-in of
//   such a person then needs a second factor (or sets one up inside the login). The admin console's
//   own client can in addition be registered with `--min-acr urn:yitong:acr:mfa`.
// - SMS codes: `mfaFeatureWith({ otpFactors: [smsFactor] })`, see factors.ts.
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import type { Feature, FeatureFactory } from '../feature.ts';
import { LoginThrottle } from '../interactions/throttle.ts';
import { ACR_MFA, ACR_PHR, ACR_PWD } from '../oidc/acr.ts';
import { totpFactor, type OtpFactor } from './factors.ts';
import { addMfaPrompt, addRealNamePrompt, assessor, MFA_PROMPT, REAL_NAME_PROMPT, type MfaPolicy, type MfaRequirement } from './prompt.ts';
import { mfaInteractionRouter, mfaPage, realNamePage } from './pages.ts';
import { mfaAccountRouter } from './account-pages.ts';
import { PASSKEY_SCRIPT_PATH, passkeyScript } from './csp.ts';
import { challengeStore, levelStore, purgeErased } from './store.ts';
import { ERASED_STATUS } from '../accounts/erase.ts';

export interface MfaOptions {
  /** what some people must always reach (admin roles: ACR_MFA) */
  requirements?: MfaRequirement[];
  /** one-time-code factors besides the authenticator app (SMS) */
  otpFactors?: OtpFactor[];
}

export function mfaFeatureWith(options: MfaOptions = {}): FeatureFactory {
  return (app: AppContext): Feature => {
    const throttle = new LoginThrottle(app.db, app.config.throttle);
    const policy: MfaPolicy = {
      maxAges: { [ACR_PWD]: null, [ACR_MFA]: app.config.assurance.mfaMaxAgeSeconds, [ACR_PHR]: app.config.assurance.phrMaxAgeSeconds },
      requirements: options.requirements ?? [],
      otpFactors: [totpFactor, ...(options.otpFactors ?? [])],
    };
    const assessment = assessor(app, policy);
    const deps = { throttle, otpFactors: policy.otpFactors };
    return {
      name: 'mfa',
      acrValues: [ACR_MFA, ACR_PHR],
      loginLinks: [{ path: '/passkey', label: 'mfa.passwordless.link' }],
      prompts: [
        { name: REAL_NAME_PROMPT, add: (p) => addRealNamePrompt(p, assessment), page: (ctx, details, getProvider) => realNamePage(app, ctx, details, getProvider()) },
        { name: MFA_PROMPT, add: (p) => addMfaPrompt(p, assessment), page: (ctx, details, getProvider) => mfaPage(app, deps, ctx, details, getProvider()) },
      ],
      routers: (getProvider) => {
        const assets = new Router();
        assets.get(PASSKEY_SCRIPT_PATH, (ctx) => {
          ctx.type = 'text/javascript; charset=utf-8';
          ctx.set('cache-control', 'public, max-age=3600');
          ctx.body = passkeyScript;
        });
        return [assets, mfaInteractionRouter(app, getProvider, deps), mfaAccountRouter(app, getProvider, deps)];
      },
      tasks: [
        {
          name: 'mfa-housekeeping',
          everyMs: 10 * 60_000,
          async run() {
            await challengeStore.purgeExpired(app.db);
            await levelStore.purgeOlderThan(app.db, app.config.sessionMaxSeconds + app.config.sessionIdleSeconds);
            await purgeErased(app.db, ERASED_STATUS);
          },
        },
      ],
    };
  };
}

/** The feature as `yitong serve` runs it: the authenticator app, recovery codes and passkeys. */
export const mfaFeature: FeatureFactory = mfaFeatureWith();
