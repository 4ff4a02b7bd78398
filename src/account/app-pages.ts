// The account centre's apps page: the apps the person has let in, with what they may read, and
// taking an app's access back (asked first).
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { tr, trf } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { AppError } from '../errors.ts';
import { listApps, revokeApp } from './apps.ts';
import { form, formatTime, messagePage, type AccountLayout } from './page-layout.ts';

const scopeText = (locale: Locale, scopes: string[]) => scopes.filter((x) => x !== 'openid').map((x) => tr(locale, `scope.${x}`));

export function appRoutes(app: AppContext, layout: AccountLayout, router: Router) {
  const { signIn, render, post, seeOther, confirmPage } = layout;

  router.get('/account/apps', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const apps = (await listApps(app, s)).map((a) => ({ clientId: a.clientId, name: a.name, department: a.department, scopes: scopeText(locale, a.scopes), since: formatTime(a.since) }));
    render(ctx, s, 'account-apps', 'apps', { apps });
  });

  router.get('/account/apps/:clientId/revoke', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const a = (await listApps(app, s)).find((x) => x.clientId === ctx.params.clientId);
    if (!a) return messagePage(ctx, 404, 'account.app.unknown');
    confirmPage(ctx, s, 'apps', {
      question: trf(localeOf(ctx), 'account.confirm.revoke', { app: a.name }),
      action: `/account/apps/${encodeURIComponent(a.clientId)}/revoke`,
      back: '/account/apps',
    });
  });

  router.post('/account/apps/:clientId/revoke', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    try {
      await revokeApp(app, s, ctx.params.clientId, ctx.ip);
    } catch (err) {
      if (err instanceof AppError) return messagePage(ctx, err.status, err.code);
      throw err;
    }
    seeOther(ctx, '/account/apps?done=app');
  });
}
