// The outbox's background work, run by every node: delivery, the session expiry sweep (so apps hear
// of idle and absolute timeouts too), and the depth metrics with a warning when deliveries pile up.
import type { AppContext } from '../context.ts';
import type { BackgroundTask } from '../feature.ts';
import { payloadStore } from '../oidc/payload-store.ts';
import { logger } from '../log.ts';
import { createDelivery } from './delivery.ts';
import { endSessions } from './service.ts';
import { outboxStore } from './store.ts';
import { outboxDepth, outboxOldest } from './metrics.ts';

const SWEEP_BATCH = 100;
const STALE_SECONDS = 3600;

/** Ends sessions past their idle or absolute lifetime, in batches; returns how many. */
export async function sweepExpiredSessions(app: AppContext): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await app.db.transaction().execute(async (trx) => {
      const rows = await payloadStore.expiredSessions(trx, app.config.sessionMaxSeconds, SWEEP_BATCH);
      if (rows.length) await endSessions(app, trx, rows, 'session.expire', 'system:sessions');
      return rows.length;
    });
    total += n;
    if (n < SWEEP_BATCH) return total;
  }
}

export function logoutTasks(app: AppContext): BackgroundTask[] {
  const { logout } = app.config;
  const deliverDue = createDelivery(app, logout);
  const tasks: BackgroundTask[] = [
    { name: 'logout-delivery', everyMs: logout.pollMs, run: async () => void (await deliverDue()) },
    {
      name: 'logout-outbox-stats',
      everyMs: 15_000,
      async run() {
        const s = await outboxStore.pendingStats(app.db);
        outboxDepth.set(s.pending);
        outboxOldest.set(s.oldestSeconds);
        // The apps' problem, not ours (readiness stays green), but an operator should know.
        if (s.oldestSeconds > STALE_SECONDS) logger.warn({ pending: s.pending, oldest_seconds: Math.round(s.oldestSeconds) }, 'back-channel logouts pending for over an hour');
      },
    },
  ];
  if (logout.sessionSweep) {
    tasks.push({
      name: 'session-expiry',
      everyMs: 30_000,
      run: async () => {
        const n = await sweepExpiredSessions(app);
        if (n) logger.info({ sessions: n }, 'expired sessions ended');
      },
    });
  }
  return tasks;
}
