// The provider under test, in its own process so that its CPU time can be read from /proc:
// Yitong's real startServer on the bench's PostgreSQL database, seeded through the services.
//
// Environment (set by bench/run.ts): DATABASE_URL, YITONG_MASTER_KEY, BENCH_PERSONS, BENCH_PASSWORD,
// BENCH_REDIRECT_URI; BENCH_SECONDARY=1 (bench/scale.ts) serves without seeding. Talks to the parent over IPC (see lib/child-kit.ts); exits when the parent
// goes away.
import pg from 'pg';
import { forceLoopbackListen, freePort, serve, send, profileHandlers, type Message } from './lib/child-kit.ts';

forceLoopbackListen();

// Query accounting: every statement the provider sends, by SQL text (kysely uses $n parameters, so
// the text identifies the statement). Installed before any connection is made.
interface QueryStat {
  n: number;
  ms: number;
}
const queries = new Map<string, QueryStat>();
const MODELS = new Set(['Session', 'Interaction', 'Grant', 'AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials', 'PushedAuthorizationRequest', 'ReplayDetection', 'DeviceCode', 'BackchannelAuthenticationRequest', 'RegistrationAccessToken', 'InitialAccessToken']);
let pending = 0;
let lastSettled = performance.now();
const originalQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  let text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '?');
  // oidc-provider's models share one table: name the model ($1) so the breakdown says which
  const params = Array.isArray(args[1]) ? (args[1] as unknown[]) : [];
  const model = params.find((v): v is string => typeof v === 'string' && MODELS.has(v));
  if (model && text.includes('"oidc_payloads"')) text = `[${model}] ${text}`;
  const callback = args.find((a) => typeof a === 'function');
  const result = originalQuery.apply(this, args);
  if (callback || !(result instanceof Promise)) return result;
  const started = performance.now();
  pending++;
  const done = () => {
    pending--;
    lastSettled = performance.now();
    const s = queries.get(text) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - started;
    queries.set(text, s);
  };
  return result.then(
    (r: unknown) => {
      done();
      return r;
    },
    (e: unknown) => {
      done();
      throw e;
    },
  );
} as typeof pg.Client.prototype.query;

const { loadConfig } = await import('../src/config/env.ts');
const { startServer } = await import('../src/server.ts');
const { addDepartment } = await import('../src/departments/service.ts');
const { addClient } = await import('../src/clients/service.ts');
const { createPerson } = await import('../src/accounts/service.ts');
const { idCheckChar } = await import('../src/identity/id-number.ts');

const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'development',
  PORT: String(port),
  ISSUER: issuer,
  LOG_LEVEL: 'silent',
  // The load is many logins from one IP: no delays or lockouts (the bench never fails a password).
  LOGIN_DELAY_AFTER: '0',
  LOGIN_LOCK_AFTER: '0',
  LOGIN_IP_LOCK_AFTER: '0',
});
const server = await startServer(config);
const { app } = server;

// What-if experiments (BENCH_EXPERIMENT=a,b): bench-only patches of the running provider that
// estimate the gain of a proposed change to src/ before anyone makes it. Never on by default.
const experiments = new Set((process.env.BENCH_EXPERIMENT ?? '').split(',').filter(Boolean));
if (experiments.has('no-audit')) {
  // upper bound of what the audit trail costs: appends without a transaction become no-ops
  const original = app.audit.append.bind(app.audit);
  app.audit.append = async (e, trx) => (trx ? original(e, trx) : undefined);
}
if (experiments.has('skip-unchanged-grant')) {
  // Grant.save() when nothing changed since Grant.find() (first-party loadExistingGrant and the
  // automatic consent save on every authorization) skipped. Grant.save keeps the expiry, so the
  // skipped write would have changed nothing.
  const Grant = server.provider().Grant as unknown as {
    find(id: string, ...rest: unknown[]): Promise<GrantLike | undefined>;
    prototype: { save(...a: unknown[]): Promise<string> };
  };
  interface GrantLike {
    jti: string;
    openid?: unknown;
    resources?: unknown;
    rejected?: unknown;
    rar?: unknown;
    clean(): void;
  }
  const loaded = new WeakMap<object, string>();
  const snapshot = (g: GrantLike) => JSON.stringify([g.openid, g.resources, g.rejected, g.rar]);
  const find = Grant.find.bind(Grant);
  Grant.find = async (id, ...rest) => {
    const g = await find(id, ...rest);
    if (g) loaded.set(g, snapshot(g));
    return g;
  };
  const save = Grant.prototype.save;
  Grant.prototype.save = async function (this: GrantLike, ...a: unknown[]) {
    this.clean();
    const was = loaded.get(this);
    if (was !== undefined && was === snapshot(this)) return this.jti;
    const id = await save.apply(this, a);
    loaded.set(this, snapshot(this));
    return id;
  };
}
if (experiments.has('login-with-consent')) {
  // A first-party app's consent given together with the login (one interaction result), so that
  // prompt=consent does not cost a second interaction (GET page, resume, Interaction row) per login.
  // Every client of the bench is first-party.
  const provider = server.provider();
  const finished = provider.interactionFinished.bind(provider);
  provider.interactionFinished = (req, res, result, opts) =>
    finished(req, res, result.login && !result.consent ? { ...result, consent: {} } : result, opts);
}

/** A valid resident ID number for bench person i (Beijing Chaoyang, born 1980 + i days). */
function idNumber(i: number): string {
  const born = new Date(Date.UTC(1980, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${born}${String(100 + (i % 900)).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

const persons = Number(process.env.BENCH_PERSONS ?? 50);
const password = process.env.BENCH_PASSWORD ?? 'Bench@2026pw';
const redirectUri = process.env.BENCH_REDIRECT_URI ?? 'http://127.0.0.1/bench/callback';

/** Resolves once no query has been in flight for `quietMs` (fire-and-forget audit appends). */
async function settle(msg: Message): Promise<Record<string, unknown>> {
  const quietMs = Number(msg.quietMs ?? 200);
  const limit = performance.now() + Number(msg.maxMs ?? 10_000);
  while (performance.now() < limit && (pending > 0 || performance.now() - lastSettled < quietMs)) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return { pending };
}

// A second node on the same database (bench/scale.ts): the first one seeded it
if (process.env.BENCH_SECONDARY === '1') {
  serve({ settle, ...profileHandlers }, () => server.stop());
  send({ type: 'ready', issuer });
  await new Promise(() => {}); // serves until the parent stops it
}

await addDepartment(app, 'BENCH', '基准测试局', 'bench');
const client = await addClient(
  app,
  { name: '基准测试应用', department: 'BENCH', redirectUris: [redirectUri], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] },
  'bench',
  server.clientRules(),
);
const ids = Array.from({ length: persons }, (_, i) => idNumber(i));
await Promise.all(
  ids.map((id, i) =>
    createPerson(
      app,
      { idNumber: id, name: `测试${i}`, phone: `139${String(10_000_000 + i).slice(-8)}`, email: `bench${i}@example.cn`, password },
      'bench',
    ),
  ),
);

serve(
  {
    'stats-reset': () => {
      queries.clear();
      return {};
    },
    stats: () => {
      const list = [...queries].map(([sql, s]) => ({ sql, n: s.n, ms: Math.round(s.ms) })).sort((a, b) => b.n - a.n);
      return { total: list.reduce((a, q) => a + q.n, 0), queries: list, pending };
    },
    settle,
    /** the audit chain must still verify after the load (concurrent appends, experiments) */
    async 'verify-audit'() {
      return { audit: await app.audit.verify() };
    },
    ...profileHandlers,
  },
  () => server.stop(),
);

send({ type: 'ready', issuer, clientId: client.client_id, clientSecret: client.client_secret, ids, password, redirectUri });
