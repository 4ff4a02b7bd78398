// The login-time MFA pages, put together on one router: the second-factor page (prompt `mfa`,
// second-factor-page.ts and second-factor-routes.ts), passwordless sign-in with a passkey
// (passwordless-pages.ts) and the real-name refusal page (prompt `real_name`, real-name-page.ts).
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import type { MfaPageDeps } from './prompt-interaction.ts';
import { secondFactorRoutes } from './second-factor-routes.ts';
import { passwordlessRoutes } from './passwordless-pages.ts';
import { realNameRoutes } from './real-name-page.ts';

export type { MfaPageDeps } from './prompt-interaction.ts';
export { mfaPage } from './second-factor-page.ts';
export { realNamePage } from './real-name-page.ts';

export function mfaInteractionRouter(app: AppContext, getProvider: () => Provider, deps: MfaPageDeps): Router {
  const router = new Router();
  secondFactorRoutes(app, getProvider, deps, router);
  passwordlessRoutes(app, getProvider, deps, router);
  realNameRoutes(app, getProvider, router);
  return router;
}
