// The admin feature: the admin API (/admin/api/v1, OpenAPI at /admin/api/v1/openapi.json) and the
// console (/admin), both over the same operations; the acr of the console's sign-in recorded in
// its access tokens.
import type { AppContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import { clientRules } from '../oidc/provider.ts';
import { consoleTokenClaims } from './auth.ts';
import { OPERATIONS } from './api/ops/index.ts';
import { adminApiRouter } from './api/router.ts';
import { consoleRouter } from './console/routes.ts';

export function adminFeature(app: AppContext): Feature {
  return {
    name: 'admin',
    tokenClaims: [consoleTokenClaims(app)],
    routers: (getProvider, features) => {
      const rules = () => clientRules(getProvider(), features);
      return [adminApiRouter(app, getProvider, rules, OPERATIONS), consoleRouter(app, getProvider, rules)];
    },
  };
}
