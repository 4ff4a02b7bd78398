// The org pages, put together on one router: the select_entity prompt page ("办理身份",
// select-entity-page.ts) and the self-service pages "我的单位" (/orgs, my-orgs-pages.ts) and
// "经办人管理" (/orgs/:uscc/agents, agents-pages.ts), in the orgs layout (self-service-layout.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { selectEntityRoutes } from './select-entity-page.ts';
import { orgsLayout } from './self-service-layout.ts';
import { myOrgsRoutes } from './my-orgs-pages.ts';
import { agentsRoutes } from './agents-pages.ts';

export { selectEntityPage } from './select-entity-page.ts';
export { errorView, type ErrorView } from './page-text.ts';

const css = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'orgs.css'));

export function orgsRouter(app: AppContext, getProvider: () => Provider): Router {
  const router = new Router();
  selectEntityRoutes(app, getProvider, router);
  router.get('/assets/orgs.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = css;
  });
  const layout = orgsLayout(app, getProvider);
  myOrgsRoutes(app, layout, router);
  agentsRoutes(app, layout, router);
  return router;
}
