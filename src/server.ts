// `yitong serve`: migrate, make sure signing keys exist, listen, purge expired state, pick up key
// rotations, and shut down gracefully: drain (readiness off, keep serving for the grace period with
// every answer closing its connection), stop accepting, finish in-flight requests, close the pool.
import http from 'node:http';
import type { Duplex } from 'node:stream';
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
import { auditTasks } from './audit/tasks.ts';
import { orgsFeature } from './orgs/feature.ts';
import { legacyFeature } from './legacy/feature.ts';
import { accountFeature } from './account/feature.ts';
import { adminFeature } from './admin/feature.ts';
import { citizenFeature } from './citizen/feature.ts';
import { mfaFeatureWith } from './mfa/feature.ts';
import { smsFactor } from './mfa/sms.ts';
import type { MfaRequirement } from './mfa/prompt.ts';
import { rolesOfPerson } from './admin/service.ts';
import { isAcr } from './oidc/acr.ts';

export interface RunningServer {
  url: string;
  app: AppContext;
  server: http.Server;
  provider(): Provider;
  /** what `addClient` checks against: this server's grant types and provider */
  clientRules(): ClientRules;
  stop(): Promise<void>;
}

/** Anyone holding an admin role signs in at ADMIN_MIN_ACR or better, at every app (issue 11 item 8). */
const adminsStepUp: MfaRequirement = async (app, person) =>
  isAcr(app.config.admin.minAcr) && (await rolesOfPerson(app, person.id)).length > 0 ? app.config.admin.minAcr : null;

/** The features a production server runs, in order (prompts run in this order, after login). */
export const ALL_FEATURES: FeatureFactory[] = [orgsFeature, legacyFeature, accountFeature, adminFeature, citizenFeature, mfaFeatureWith({ requirements: [adminsStepUp], otpFactors: [smsFactor] })];

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
/** after the grace period, how long requests still running may take before their sockets are cut */
const IN_FLIGHT_MS = 5_000;

export async function startServer(config: Config, factories: FeatureFactory[] = ALL_FEATURES): Promise<RunningServer> {
  const opened = await openApp(config, { poolSize: 20 });
  const { app } = opened;
  const features = factories.map((make) => make(app));
  await ensureSigningKeys(app);
  let provider = createProvider(app, await loadJwks(app), features);
  let keysVersion = await signingKeysVersion(app);
  const getProvider = () => provider;
  const throttle = new LoginThrottle(app.db, config.throttle);
  let draining = false;

  const koa = createHttpApp({
    app,
    getProvider,
    throttle,
    ping: opened.handle.ping,
    features,
    draining: () => draining,
  });
  const handle = koa.callback();
  // Responses not yet begun, so that draining can still mark them `Connection: close`.
  const pending = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    // While draining every answer closes its connection: the client reconnects, and the load
    // balancer (told by /readyz) sends it elsewhere. Closing an idle keep-alive connection instead
    // would reset a request the client may have just written on it.
    if (draining) res.shouldKeepAlive = false;
    else {
      pending.add(res);
      res.once('close', () => pending.delete(res));
    }
    void handle(req, res);
  });
  // CONNECT asks for a tunnel, which this server does not offer: say so, rather than drop the
  // connection without a word (Node's default when nobody listens for it). The socket is then ours
  // alone: drain it (a paused one never sees the client's close and would hold server.close()
  // forever) and destroy it soon whatever the client does.
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => {});
    socket.resume();
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, OPTIONS\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    setTimeout(() => socket.destroy(), 1000).unref();
  });
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
    ...auditTasks(app),
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
        draining = true;
        for (const t of timers) clearInterval(t);
        for (const res of pending) if (!res.headersSent) res.shouldKeepAlive = false;
        pending.clear();
        if (config.shutdownGraceSeconds > 0) {
          logger.info({ grace_seconds: config.shutdownGraceSeconds }, 'draining: /readyz answers 503, connections close after their answer');
          await new Promise((r) => setTimeout(r, config.shutdownGraceSeconds * 1000));
        }
        // A grace period of at least keepAliveTimeout (5 s, advertised to clients in Keep-Alive) has
        // let idle keep-alive connections time out as clients expect; any left close here. Busy ones
        // end after their answer, or are cut at the deadline.
        await new Promise<void>((resolve) => {
          // at the deadline, go on even if some socket outside HTTP's bookkeeping lingers
          const force = setTimeout(() => {
            server.closeAllConnections();
            resolve();
          }, IN_FLIGHT_MS);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await opened.close();
        logger.info('yitong stopped');
      })();
      return stopping;
    },
  };
}
