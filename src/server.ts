// `yitong serve`: migrate, make sure signing keys exist, listen, purge expired state, pick up key
// rotations, and shut down gracefully (finish in-flight requests, then close the pool).
import http from 'node:http';
import type Provider from 'oidc-provider';
import type { Config } from './config/env.ts';
import { openApp } from './bootstrap.ts';
import { ensureSigningKeys, loadJwks, signingKeysVersion } from './oidc/keys.ts';
import { clientRules, createProvider } from './oidc/provider.ts';
import type { ClientRules } from './clients/service.ts';
import { payloadStore } from './oidc/payload-store.ts';
import { createHttpApp } from './http/app.ts';
import { LoginThrottle } from './interactions/throttle.ts';
import { logger } from './log.ts';
import type { AppContext } from './context.ts';
import type { BackgroundTask, FeatureFactory } from './feature.ts';
import { logoutTasks } from './logout/tasks.ts';
import { orgsFeature } from './orgs/feature.ts';
import { legacyFeature } from './legacy/feature.ts';
import { citizenFeature } from './citizen/feature.ts';

export interface RunningServer {
  url: string;
  app: AppContext;
  server: http.Server;
  provider(): Provider;
  /** what `addClient` checks against: this server's grant types and provider */
  clientRules(): ClientRules;
  stop(): Promise<void>;
}

/** The features a production server runs, in order (prompts run in this order, after login). */
export const ALL_FEATURES: FeatureFactory[] = [orgsFeature, legacyFeature, citizenFeature];

const PURGE_MS = 10 * 60_000;

/** Runs a task every `everyMs`, never two runs of it at once (a slow run skips the next tick). */
function schedule(task: BackgroundTask, getProvider: () => Provider): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task
      .run(getProvider)
      .catch((err: Error) => logger.warn({ err: err.message, task: task.name }, 'background task failed'))
      .finally(() => (running = false));
  }, task.everyMs);
  timer.unref();
  return timer;
}
const KEY_POLL_MS = 30_000;

export async function startServer(config: Config, factories: FeatureFactory[] = ALL_FEATURES): Promise<RunningServer> {
  const opened = await openApp(config, { poolSize: 20 });
  const { app } = opened;
  const features = factories.map((make) => make(app));
  await ensureSigningKeys(app);
  let provider = createProvider(app, await loadJwks(app), features);
  let keysVersion = await signingKeysVersion(app);
  const getProvider = () => provider;
  const throttle = new LoginThrottle(app.db, config.throttle);

  const koa = createHttpApp({
    app,
    getProvider,
    throttle,
    ping: opened.handle.ping,
    features,
  });
  const server = http.createServer(koa.callback());
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const coreTasks: BackgroundTask[] = [
    {
      name: 'purge',
      everyMs: PURGE_MS,
      async run() {
        const [n] = await Promise.all([payloadStore.purgeExpired(app.db, config.logout.sessionSweep), throttle.purgeExpired()]);
        if (n) logger.info({ purged: n }, 'expired protocol state purged');
      },
    },
    {
      // `yitong keys rotate` may run on another machine: every node picks the new keys up.
      name: 'key-poll',
      everyMs: KEY_POLL_MS,
      async run() {
        const v = await signingKeysVersion(app);
        if (v === keysVersion) return;
        provider = createProvider(app, await loadJwks(app), features);
        keysVersion = v;
        logger.info('signing keys changed; provider reloaded');
      },
    },
    ...logoutTasks(app),
  ];
  const timers = [...coreTasks, ...features.flatMap((f) => f.tasks ?? [])].map((task) => schedule(task, getProvider));

  logger.info({ port, issuer: config.issuer, database: opened.handle.kind, migrated: opened.migrated }, 'yitong listening');

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    server,
    provider: getProvider,
    clientRules: () => clientRules(provider, features),
    stop() {
      stopping ??= (async () => {
        for (const t of timers) clearInterval(t);
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), 10_000);
          force.unref();
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await opened.close();
        logger.info('yitong stopped');
      })();
      return stopping;
    },
  };
}
