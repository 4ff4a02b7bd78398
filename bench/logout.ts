// `npm run bench:logout`: back-channel logout delivery latency when many sessions end at once.
//
// One in-process Yitong server (startServer, shipped settings, LOG_LEVEL silent) on its own
// PostgreSQL database; one department and one app whose backchannel_logout_uri is a receiver in
// this process. 100 persons each sign in once (a real authorization-code flow over HTTP). Then all
// 100 are signed out at once (logoutPerson, concurrently), and per person latency = receipt of the
// logout token at the app - the moment just before that person's logoutPerson call. It therefore
// covers the commit, the wait for the next outbox poll (LOGOUT_POLL_MS, 500 ms as shipped), the
// claim and the POST. Server, receiver and bench share one event loop, as provider and app would
// not: the figures are an upper bound. Fails if not all logouts arrive within 60 s.
// Environment (optional): BENCH_DATABASE_URL (admin URL, loopback; default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_LOGOUT_SESSIONS (default 100).
// Writes bench/results-logout.json (a run artefact, git-ignored).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { benchDatabase } from './lib/bench-db.ts';
import { forceLoopbackListen, freePort } from './lib/child-kit.ts';
import { Browser, Rp, closeAgent } from './lib/rp.ts';
import { loadConfig } from '../src/config/env.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { addDepartment } from '../src/departments/service.ts';
import { addClient } from '../src/clients/service.ts';
import { createPerson } from '../src/accounts/service.ts';
import { logoutPerson } from '../src/accounts/lifecycle.ts';
import { idCheckChar } from '../src/identity/id-number.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const SESSIONS = Number(process.env.BENCH_LOGOUT_SESSIONS ?? 100);
const DEADLINE_MS = 60_000;
const SIGN_IN_CONCURRENCY = 8; // argon2 is the cost of a sign-in; more in flight only queues
const PASSWORD = 'Bench@2026pw';
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';
const MASTER_KEY = crypto.createHash('sha256').update('yitong-bench-logout-key').digest('base64');
const log = (...a: unknown[]) => console.error('[bench:logout]', ...a);

const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_bench_logout');
forceLoopbackListen(); // the server listens on config.port without a host: keep it on loopback

/** A valid resident ID number per index (distinct birth dates). */
function idNumber(i: number): string {
  const born = new Date(Date.UTC(1980, 0, 1) + i * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${born}${String(100 + (i % 900)).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

/** The app's back-channel logout endpoint: the time each (sub, sid) was first received. */
async function startReceiver() {
  const received = new Map<string, number>();
  let posts = 0;
  let onReceipt = () => {};
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const at = performance.now();
      posts++;
      const claims = decodeJwt(new URLSearchParams(body).get('logout_token') ?? '');
      const key = `${claims.sub} ${claims.sid}`;
      if (!received.has(key)) received.set(key, at);
      res.writeHead(200).end();
      onReceipt();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/backchannel`,
    received,
    posts: () => posts,
    /** resolves once `n` distinct sessions were received; rejects after `ms` */
    waitFor: (n: number, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received.size} of ${n} logouts arrived within ${ms / 1000} s`)), ms);
        timer.unref(); // a bench that failed earlier must not wait out the deadline
        onReceipt = () => received.size >= n && (clearTimeout(timer), resolve());
        onReceipt();
      }),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** Nearest-rank percentile of sorted values. */
const pct = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const ms = (x: number) => Math.round(x * 10) / 10;

async function main() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // Shipped settings: only what a server needs to start, and silence (LOGOUT_POLL_MS not set).
  const config = loadConfig({ NODE_ENV: 'development', PORT: String(port), ISSUER: issuer, DATABASE_URL: dbUrl, YITONG_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'silent' });
  const receiver = await startReceiver();
  let server: RunningServer | undefined;
  try {
    server = await startServer(config);
    const { app } = server;
    await addDepartment(app, 'BENCH', '基准测试局', 'bench');
    const c = await addClient(
      app,
      { name: '基准测试应用', department: 'BENCH', redirectUris: [REDIRECT_URI], backchannelLogoutUri: receiver.url },
      'bench',
      server.clientRules(),
    );
    const ids = Array.from({ length: SESSIONS }, (_, i) => idNumber(i));
    await Promise.all(ids.map((id, i) => createPerson(app, { idNumber: id, name: `测试${i}`, password: PASSWORD }, 'bench')));
    log(`${SESSIONS} persons created; signing each in`);

    // offline_access because Rp.exchange insists on a refresh token; the outbox still holds one
    // row per (app, session), the grant being told through its session.
    const rp = new Rp({ issuer, clientId: c.client_id, clientSecret: c.client_secret!, redirectUri: REDIRECT_URI, scope: 'openid offline_access' });
    await rp.discover();
    const subs: string[] = new Array(SESSIONS);
    const sids: string[] = new Array(SESSIONS);
    let next = 0;
    await Promise.all(
      Array.from({ length: SIGN_IN_CONCURRENCY }, async () => {
        for (let i = next++; i < SESSIONS; i = next++) {
          const claims = decodeJwt((await rp.exchange(await rp.login(new Browser(), ids[i], PASSWORD))).id_token!);
          subs[i] = String(claims.sub);
          sids[i] = String(claims.sid);
        }
      }),
    );
    // let the sign-ins' fire-and-forget audit appends drain, so they do not weigh on the logout
    await new Promise((r) => setTimeout(r, 2000));

    log(`ending ${SESSIONS} sessions at once (LOGOUT_POLL_MS ${config.logout.pollMs})`);
    const t0: number[] = new Array(SESSIONS);
    const committed: number[] = new Array(SESSIONS);
    const arrived = receiver.waitFor(SESSIONS, DEADLINE_MS);
    arrived.catch(() => {}); // observed below; not an unhandled rejection while the logouts run
    const ended = await Promise.all(
      ids.map(async (id, i) => {
        t0[i] = performance.now();
        const r = await logoutPerson(app, id, 'bench');
        committed[i] = performance.now() - t0[i];
        return r.ended.queued;
      }),
    );
    if (ended.some((q) => q !== 1)) throw new Error(`expected one queued logout per person, got ${ended.join(',')}`);
    await arrived;

    const latency = subs.map((sub, i) => receiver.received.get(`${sub} ${sids[i]}`)! - t0[i]).sort((a, b) => a - b);
    const commit = [...committed].sort((a, b) => a - b);
    const result = {
      sessions: SESSIONS,
      logout_poll_ms: config.logout.pollMs,
      latency_ms: { p50: ms(pct(latency, 50)), p99: ms(pct(latency, 99)), max: ms(latency.at(-1)!) },
      // first logoutPerson call to the last token received
      all_received_ms: ms(Math.max(...receiver.received.values()) - Math.min(...t0)),
      // of which the callers waited for their transactions (the rest is poll wait and delivery)
      commit_ms: { p50: ms(pct(commit, 50)), max: ms(commit.at(-1)!) },
      posts: receiver.posts(),
      node: process.version,
      date: new Date().toISOString(),
    };
    log(
      `${SESSIONS} logouts: latency p50 ${result.latency_ms.p50} ms, p99 ${result.latency_ms.p99} ms, max ${result.latency_ms.max} ms; ` +
        `all received after ${result.all_received_ms} ms; commit p50 ${result.commit_ms.p50} ms, max ${result.commit_ms.max} ms; ${result.posts} POSTs`,
    );
    const file = path.join(here, 'results-logout.json');
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await server?.stop().catch(() => {});
    await receiver.close();
    closeAgent();
  }
}

let created = false;
const cleanup = () => (created ? admin(`drop database if exists ${dbName} with (force)`).catch((e: Error) => log(`could not drop ${dbName}: ${e.message}`)) : Promise.resolve());
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));

await admin(`create database ${dbName}`);
created = true;
try {
  await main();
} catch (err) {
  log((err as Error).stack ?? err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
