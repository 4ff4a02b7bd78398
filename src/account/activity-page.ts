// The account centre's activity page: what happened on the account (sign-ins, changes), newest first.
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { listActivity } from './activity.ts';
import { formatTime, type AccountLayout } from './page-layout.ts';

export function activityRoutes(app: AppContext, layout: AccountLayout, router: Router) {
  const { signIn, render } = layout;

  router.get('/account/activity', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const events = (await listActivity(app, s.person.sub)).map((e) => ({
      at: formatTime(e.at),
      event: tr(locale, `account.event.${e.event}`),
      reason: e.reason && e.event === 'session.end' ? tr(locale, `account.reason.${e.reason}`) : null,
      outcome: e.outcome,
      outcomeText: tr(locale, `account.outcome.${e.outcome}`),
      app: e.app,
      network: e.network ? `${tr(locale, `account.network.${e.network.kind}`)} ${e.network.masked}` : null,
    }));
    render(ctx, s, 'account-activity', 'activity', { events });
  });
}
