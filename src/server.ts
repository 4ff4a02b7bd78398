// `yitong serve`: migrate, make sure signing keys exist, listen, purge expired state, pick up key
// rotations, and shut down gracefully (finish in-flight requests, then close the pool).
import http from 'node:http';
import type Provider from 'oidc-provider';
import type { Config } from './config/env.ts';
import { openApp } from './bootstrap.ts';
import { ensureSigningKeys, loadJwks, signingKeysVersion } from './oidc/keys.ts';
import { createProvider } from './oidc/provider.ts';
import { payloadStore } from './oidc/payload-store.ts';
import { createHttpApp, type HttpDeps } from './http/app.ts';
import { LoginThrottle } from './interactions/throttle.ts';
import { logger } from './log.ts';
import type { AppContext } from './context.ts';

export interface RunningServer {
  url: string;
  app: AppContext;
  server: http.Server;
  provider(): Provider;
  stop(): Promise<void>;
}

/** Hooks for features that add routes (self-service pages, admin API). */
export type ServerExtension = (app: AppContext, getProvider: () => Provider) => NonNullable<HttpDeps['routers']>;
const extensions: ServerExtension[] = [];
export function addServerExtension(ext: ServerExtension): void {
  extensions.push(ext);
}

/** Periodic work of feature modules. Every node runs it, so it must be safe to run concurrently. */
export interface BackgroundTask {
  name: string;
  everyMs: number;
  run(app: AppContext, getProvider: () => Provider): Promise<void>;
}
const tasks: BackgroundTask[] = [];
export function addBackgroundTask(task: BackgroundTask): void {
  tasks.push(task);
}

const PURGE_MS = 10 * 60_000;
const KEY_POLL_MS = 30_000;

export async function startServer(config: Config): Promise<RunningServer> {
  const opened = await openApp(config, { poolSize: 20 });
  const { app } = opened;
  await ensureSigningKeys(app);
  let provider = createProvider(app, await loadJwks(app));
  let keysVersion = await signingKeysVersion(app);
  const getProvider = () => provider;
  const throttle = new LoginThrottle(app.db, config.throttle);

  const koa = createHttpApp({
    app,
    getProvider,
    throttle,
    ping: opened.handle.ping,
    routers: extensions.flatMap((ext) => ext(app, getProvider)),
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

  const timers = [
    setInterval(() => {
      Promise.all([payloadStore.purgeExpired(app.db), throttle.purgeExpired()])
        .then(([n]) => n && logger.info({ purged: n }, 'expired protocol state purged'))
        .catch((err: Error) => logger.warn({ err: err.message }, 'purge failed'));
    }, PURGE_MS),
    // `yitong keys rotate` may run on another machine: every node picks the new keys up.
    setInterval(() => {
      signingKeysVersion(app)
        .then(async (v) => {
          if (v === keysVersion) return;
          provider = createProvider(app, await loadJwks(app));
          keysVersion = v;
          logger.info('signing keys changed; provider reloaded');
        })
        .catch((err: Error) => logger.warn({ err: err.message }, 'key poll failed'));
    }, KEY_POLL_MS),
    ...tasks.map((task) =>
      setInterval(() => {
        task.run(app, getProvider).catch((err: Error) => logger.warn({ err: err.message, task: task.name }, 'background task failed'));
      }, task.everyMs),
    ),
  ];
  for (const t of timers) t.unref();

  logger.info({ port, issuer: config.issuer, database: opened.handle.kind, migrated: opened.migrated }, 'yitong listening');

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    server,
    provider: getProvider,
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
