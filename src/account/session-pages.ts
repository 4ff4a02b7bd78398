// The account centre's sign-ins page: where the person is signed in, and ending one or all other
// sessions (asked first).
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { localeOf } from '../http/locale.ts';
import { tr } from '../i18n/ui.ts';
import { type Locale } from '../i18n/messages.ts';
import { AppError } from '../errors.ts';
import { endOneSession, endOtherSessions, findSession, listSessions, type SessionView } from './sessions.ts';
import { form, formatTime, messagePage, type AccountLayout } from './page-layout.ts';

const sessionData = (locale: Locale, v: SessionView) => ({
  handle: v.handle,
  current: v.current,
  device: [v.device.browser, v.device.os].filter(Boolean).join(' · ') || tr(locale, 'account.sessions.unknown_device'),
  network: v.network ? `${tr(locale, `account.network.${v.network.kind}`)} ${v.network.masked}` : tr(locale, 'account.network.unknown'),
  signedInAt: formatTime(v.signedInAt),
  lastSeenAt: formatTime(v.lastSeenAt),
  apps: v.apps,
});

export function sessionRoutes(app: AppContext, layout: AccountLayout, router: Router) {
  const { signIn, render, post, seeOther, confirmPage } = layout;

  router.get('/account/sessions', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const locale = localeOf(ctx);
    const sessions = (await listSessions(app, s)).map((v) => sessionData(locale, v));
    render(ctx, s, 'account-sessions', 'sessions', { sessions, others: sessions.filter((x) => !x.current).length });
  });

  router.get('/account/sessions/end-others', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    confirmPage(ctx, s, 'sessions', { question: tr(localeOf(ctx), 'account.confirm.end_others'), action: '/account/sessions/end-others', back: '/account/sessions' });
  });

  router.post('/account/sessions/end-others', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    await endOtherSessions(app, s);
    seeOther(ctx, '/account/sessions?done=others');
  });

  router.get('/account/sessions/:handle/end', async (ctx) => {
    const s = await signIn(ctx);
    if (!s) return;
    const v = await findSession(app, s, ctx.params.handle);
    if (!v || v.current) return messagePage(ctx, v ? 400 : 404, v ? 'account.session.current' : 'account.session.unknown');
    const locale = localeOf(ctx);
    confirmPage(ctx, s, 'sessions', {
      question: tr(locale, 'account.confirm.end_session'),
      action: `/account/sessions/${v.handle}/end`,
      back: '/account/sessions',
      detail: sessionData(locale, v),
    });
  });

  router.post('/account/sessions/:handle/end', form, async (ctx) => {
    const s = await post(ctx);
    if (!s) return;
    try {
      await endOneSession(app, s, ctx.params.handle);
    } catch (err) {
      if (err instanceof AppError) return messagePage(ctx, err.status, err.code);
      throw err;
    }
    seeOther(ctx, '/account/sessions?done=session');
  });
}
