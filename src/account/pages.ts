// The account centre's pages ("个人中心"), put together on one router: profile and security
// (profile-pages.ts), sign-ins (session-pages.ts), apps (app-pages.ts), activity (activity-page.ts),
// and personal data with cancellation (data-pages.ts), all in the account layout (page-layout.ts).
// Thin handlers: read the signed-in session, check the session's CSRF token on every POST, call the
// services of this folder and render, or redirect after a change (POST-redirect-GET). Destructive
// acts go through a confirmation page (or, for cancellation, a checkbox with the password).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { accountLayout, type AccountDeps } from './page-layout.ts';
import { profileRoutes } from './profile-pages.ts';
import { sessionRoutes } from './session-pages.ts';
import { appRoutes } from './app-pages.ts';
import { activityRoutes } from './activity-page.ts';
import { dataRoutes } from './data-pages.ts';

export { formatTime, type AccountDeps } from './page-layout.ts';

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'account.css'));

export function accountRouter(app: AppContext, getProvider: () => Provider, deps: AccountDeps): Router {
  const router = new Router();
  const layout = accountLayout(app, getProvider);

  router.get('/assets/account.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });

  profileRoutes(app, deps, layout, router);
  sessionRoutes(app, layout, router);
  appRoutes(app, layout, router);
  activityRoutes(app, layout, router);
  dataRoutes(app, deps, layout, router);
  return router;
}
