// Citizens on their own: registration with the real-name check, SMS login, password recovery, and
// the background recheck of registrations the population base could not check at the time. SMS
// codes (src/codes) go through the sender SMS_PROVIDER names (src/sms); the real-name check is
// IDV_URL's (src/idv). Counter staff set levels from the command line (cli.ts).
import type { AppContext } from '../context.ts';
import type { Feature } from '../feature.ts';
import { createSmsSender } from '../sms/index.ts';
import { OneTimeCodes } from '../codes/service.ts';
import { createIdvClient } from '../idv/client.ts';
import { runRechecks } from '../idv/rechecks.ts';
import { LoginThrottle } from '../interactions/throttle.ts';
import { logger } from '../log.ts';
import { citizenRouter } from './pages.ts';

const CODES_PURGE_MS = 10 * 60_000;

export function citizenFeature(app: AppContext): Feature {
  const codes = new OneTimeCodes(app, createSmsSender(app.config.sms));
  const idv = createIdvClient(app.config.idv);
  // the login's own counters and rules (same table, same configuration), for SMS login
  const throttle = new LoginThrottle(app.db, app.config.throttle);
  const deps = { codes, idv, throttle };
  return {
    name: 'citizen',
    routers: (getProvider) => [citizenRouter(app, getProvider, deps)],
    tasks: [
      { name: 'codes-purge', everyMs: CODES_PURGE_MS, run: async () => void (await codes.purgeExpired()) },
      ...(idv
        ? [
            {
              name: 'idv-recheck',
              everyMs: app.config.idv.recheckEveryMs,
              async run() {
                const n = await runRechecks(app, idv);
                if (n) logger.info({ settled: n }, 'real-name rechecks settled');
              },
            },
          ]
        : []),
    ],
  };
}
