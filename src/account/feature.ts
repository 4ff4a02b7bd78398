// The account centre ("个人中心", /account): profile, security (password, e-mail; phone change
// comes with SMS codes), sign-in sessions, apps granted, own security events, personal data
// download and cancellation (注销). It adds the pages, a listener that records each session's
// device and withdraws a cancellation when the person signs in, and background work: erasing
// accounts whose cooling-off period is over, and forgetting the devices of long-gone sessions.
import type { AppContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import { LoginThrottle } from '../interactions/throttle.ts';
import { createMailer } from '../mail/mailer.ts';
import { logger } from '../log.ts';
import { accountRouter } from './pages.ts';
import { phoneRouter } from './phone.ts';
import { OneTimeCodes } from '../codes/service.ts';
import { createSmsSender } from '../sms/index.ts';
import { recordDevices } from './devices.ts';
import { eraseDueAccounts, withdrawOnSignIn } from './cancellation.ts';
import { deviceStore } from './store.ts';

export function accountFeature(app: AppContext): Feature {
  const throttle = new LoginThrottle(app.db, app.config.throttle);
  const mailer = createMailer(app.config);
  const codes = new OneTimeCodes(app, createSmsSender(app.config.sms));
  return {
    name: 'account',
    links: [{ href: '/account', label: 'account.heading' }],
    listen(provider) {
      recordDevices(app, provider);
      provider.on('authorization.success', (ctx) => {
        const session = ctx.oidc?.session;
        if (!session?.accountId) return;
        withdrawOnSignIn(app, session.accountId, null, session.loginTs).catch((err: Error) => logger.warn({ err: err.message }, 'cancellation withdrawal failed'));
      });
    },
    routers: (getProvider) => [accountRouter(app, getProvider, { throttle, mailer }), phoneRouter(app, getProvider, codes)],
    tasks: [
      { name: 'account-erasure', everyMs: app.config.account.erasureEverySeconds * 1000, run: async () => void (await eraseDueAccounts(app)) },
      {
        name: 'account-devices',
        everyMs: 3600_000,
        run: async () => void (await deviceStore.purgeOlderThan(app.db, app.config.sessionMaxSeconds + app.config.sessionIdleSeconds)),
      },
    ],
  };
}
