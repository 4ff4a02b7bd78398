// The orgs feature: legal persons and their agents. It adds the select_entity prompt and its page,
// the legal_person claims with the guard that refuses tokens of an org context that may no longer
// be acted for, token exchange, the self-service pages and the expiry sweep.
import type { AppContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import { addEntityPrompt, PROMPT } from './prompt.ts';
import { entityClaims, entityGuard, entityTokenClaims } from './claims.ts';
import { EXCHANGE_PARAMS, TOKEN_EXCHANGE, tokenExchange } from './exchange.ts';
import { orgsRouter, selectEntityPage } from './pages.ts';
import { SWEEP_EVERY_MS, sweepOrgs } from './sweep.ts';

export function orgsFeature(app: AppContext): Feature {
  return {
    name: 'orgs',
    links: [{ href: '/orgs', label: 'orgs.heading' }],
    prompts: [
      {
        name: PROMPT,
        add: (policy) => addEntityPrompt(app, policy),
        page: (ctx, details, getProvider) => selectEntityPage(app, ctx, details, getProvider()),
      },
    ],
    claims: [(person, oidc) => entityClaims(app, person, oidc)],
    accountGuards: [(person, ctx, token) => entityGuard(app, person, ctx, token)],
    tokenClaims: [(ctx, token) => entityTokenClaims(app, ctx, token)],
    grantTypes: [{ type: TOKEN_EXCHANGE, handler: (ctx) => tokenExchange(app, ctx), params: EXCHANGE_PARAMS }],
    routers: (getProvider) => [orgsRouter(app, getProvider)],
    tasks: [{ name: 'orgs-sweep', everyMs: SWEEP_EVERY_MS, run: async (getProvider) => void (await sweepOrgs(app, getProvider())) }],
  };
}
