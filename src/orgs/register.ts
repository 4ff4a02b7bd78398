// Wires the orgs module into the core: messages, the select_entity prompt and its page, claims,
// account guard and token claims, token exchange, routes, CLI commands and the expiry sweep.
import './messages.ts';
import './cli.ts';
import { extendInteractionPolicy, onProviderCreated, addExtraTokenClaims } from '../oidc/provider.ts';
import { addClaimsExtension, addAccountGuard } from '../oidc/account.ts';
import { promptPages } from '../interactions/routes.ts';
import { addServerExtension, addBackgroundTask } from '../server.ts';
import { SUPPORTED_GRANT_TYPES } from '../clients/service.ts';
import { remember } from './registry.ts';
import { addEntityPrompt, PROMPT } from './prompt.ts';
import { entityClaims, entityGuard, entityTokenClaims } from './claims.ts';
import { EXCHANGE_PARAMS, TOKEN_EXCHANGE, tokenExchangeHandler } from './exchange.ts';
import { orgsRouter, selectEntityPage } from './pages.ts';
import { SWEEP_EVERY_MS, sweepOrgs } from './sweep.ts';

extendInteractionPolicy(addEntityPrompt);
promptPages.set(PROMPT, selectEntityPage);
addClaimsExtension(entityClaims);
addAccountGuard(entityGuard);
addExtraTokenClaims(entityTokenClaims);
if (!SUPPORTED_GRANT_TYPES.includes(TOKEN_EXCHANGE)) SUPPORTED_GRANT_TYPES.push(TOKEN_EXCHANGE);
onProviderCreated((provider, app) => {
  remember(provider, app);
  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchangeHandler, EXCHANGE_PARAMS);
});
addServerExtension((app, getProvider) => [orgsRouter(app, getProvider)]);
addBackgroundTask({ name: 'orgs-sweep', everyMs: SWEEP_EVERY_MS, run: async (app, getProvider) => void (await sweepOrgs(app, getProvider())) });
