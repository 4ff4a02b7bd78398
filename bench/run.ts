// `npm run bench`: Yitong's throughput on real PostgreSQL, per CPU-second of the provider process
// and the PostgreSQL server, beside ceilings measured in the same run:
//   - argon2id verify (the provider's own verifyArgon2: same parameters, same concurrency gate)
//   - ES256 sign (jose)
//   - oidc-provider with its in-memory adapter and the same configuration
// Targets (issue 14): logins >= 80% of the argon2 ceiling; code exchange, refresh,
// client_credentials, userinfo and introspection >= 40% of the in-memory oidc-provider, all compared
// per CPU-second. Latency: p50/p99 of a code exchange and of a password login in an open loop at half
// the capacity just measured (p99 of a code exchange < 10 ms).
//
// Everything runs on loopback; the bench creates its own database and drops it at the end.
// Environment (all optional):
//   BENCH_DATABASE_URL  admin URL of the PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_CONCURRENCY   in-flight requests from the bench (default 8)
//   BENCH_PERSONS       persons seeded (default 50)
//   BENCH_QUICK=1       a short run (about a fifth of the time) for trying the bench out
//   BENCH_PROFILE=DIR   write a CPU profile of the provider per case into DIR (slows it down)
//   BENCH_CASES         comma-separated subset of: yitong,memory,ceilings (default all)
//   BENCH_EXPERIMENT    what-if patches of the provider (see provider-child.ts), comma-separated:
//                       no-audit, skip-unchanged-grant, login-with-consent
// Quick, profiled and experiment runs write bench/results-<tag>.json, never over results.json.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabase } from './lib/bench-db.ts';
import { Child, stopAll } from './lib/children.ts';
import { CpuMeter, CLK_TCK, type CpuReport } from './lib/cpu.ts';
import { runLoad, runOpenLoop, type OpenLoopResult, type RunResult } from './lib/runner.ts';
import { Browser, Rp, closeAgent, requestCounter, type PendingCode } from './lib/rp.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const PERSONS = Number(process.env.BENCH_PERSONS ?? 50);
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : null;
const EXPERIMENT = process.env.BENCH_EXPERIMENT ?? '';
const PARTS = new Set((process.env.BENCH_CASES ?? 'yitong,memory,ceilings').split(',').map((s) => s.trim()));
const PASSWORD = 'Bench@2026pw';
const SSO_BROWSERS = 48;
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';
const SCOPE = 'openid profile phone email id_card offline_access';
const MASTER_KEY = crypto.createHash('sha256').update('yitong-bench-master-key').digest('base64');

/** seconds, scaled down in quick mode */
const T = (s: number) => (QUICK ? Math.max(2, s / 5) : s);
const TARGETS: Record<string, number> = { 'password login': 0.8, 'code exchange': 0.4, refresh: 0.4, client_credentials: 0.4, userinfo: 0.4, introspection: 0.4 };
const LATENCY_P99_TARGET_MS = { 'code exchange': 10 } as Record<string, number>;

/** Open-loop latency at half of a case's measured capacity (yitong only). */
interface LatencyResult extends OpenLoopResult {
  name: string;
  capacityPerSec: number;
}
const latencyResults: LatencyResult[] = [];
const HALF = 0.5;

const log = (...a: unknown[]) => console.error('[bench]', ...a);

// ---------------------------------------------------------------------------------------------
// Database lifecycle

const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_bench');

let created = false;
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll().catch(() => {});
    closeAgent();
    if (created) await admin(`drop database if exists ${dbName} with (force)`).catch((e: Error) => log(`could not drop ${dbName}: ${e.message}`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

interface CaseResult {
  name: string;
  target: 'yitong' | 'memory';
  ops: number;
  errors: number;
  seconds: number;
  opsPerSec: number;
  cpu: CpuReport;
  /** provider (+ PostgreSQL for yitong) CPU seconds */
  cpuSeconds: number;
  opsPerCpuSec: number;
  providerMsPerOp: number;
  /** of providerMsPerOp, the main (JavaScript) thread; the rest is libuv's pool and V8 helper threads */
  providerMainMsPerOp: number;
  pgMsPerOp: number;
  httpPerOp: number;
  queriesPerOp?: number;
  topQueries?: { sql: string; perOp: number; msPerOp: number }[];
  latencyMs: RunResult['latencyMs'];
  drainMs: number;
  firstError?: string;
}

interface Target {
  name: 'yitong' | 'memory';
  child: Child;
  rp: Rp;
  meter: () => CpuMeter;
}

/** Waits until the provider has no query in flight (fire-and-forget audit appends finish). */
async function settle(t: Target): Promise<number> {
  const s = performance.now();
  if (t.name === 'yitong') await t.child.request('settle', { quietMs: 200, maxMs: 20_000 });
  else await new Promise((r) => setTimeout(r, 100));
  return performance.now() - s;
}

/**
 * Turns between the providers under test: a flow holds the turn for all its work (untimed set-up
 * included) until a timed window ends, then hands it to the other flow, so the two sides of every
 * ratio are measured close together in time and never while the other side is busy.
 */
class Turns {
  #busy = false;
  #waiting: (() => void)[] = [];

  #take(): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #pass(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#busy = false;
  }

  /** Hands the turn on (when another flow waits) and waits to get it back. */
  swap(): Promise<void> {
    this.#pass();
    return this.#take();
  }

  /** Runs one flow under the turns. */
  async run(flow: () => Promise<void>): Promise<void> {
    await this.#take();
    try {
      await flow();
    } finally {
      this.#pass();
    }
  }
}
const turns = new Turns();

interface Stats {
  total: number;
  queries: { sql: string; n: number; ms: number }[];
}

/**
 * One case, measured over one or more timed windows. Each window: settle, meter on, timed load,
 * settle again (the drain's CPU counts, its time does not), meter off. Untimed work (e.g. code
 * collection) may run between windows.
 */
class Recorder {
  readonly t: Target;
  readonly name: string;
  #meter: CpuMeter;
  #ops = 0;
  #errors = 0;
  #seconds = 0;
  #drainMs = 0;
  #http = 0;
  #firstError: string | undefined;
  #lat: RunResult['latencyMs'][] = [];
  #stats: Stats[] = [];
  #windows = 0;

  constructor(t: Target, name: string) {
    this.t = t;
    this.name = name;
    this.#meter = t.meter();
  }

  async window(run: () => Promise<RunResult>): Promise<RunResult> {
    const { t } = this;
    await settle(t);
    if (t.name === 'yitong') await t.child.request('stats-reset');
    if (PROFILE_DIR) await t.child.request('profile-start');
    const http0 = requestCounter.n;
    this.#meter.start();
    const r = await run();
    this.#http += requestCounter.n - http0;
    this.#drainMs += await settle(t);
    this.#meter.stop();
    if (PROFILE_DIR) {
      const file = path.join(PROFILE_DIR, `${t.name}-${this.name.replace(/\W+/g, '_')}-${this.#windows}.cpuprofile`);
      await t.child.request('profile-stop', { file });
    }
    this.#windows++;
    await turns.swap();
    this.#ops += r.ops;
    this.#errors += r.errors;
    this.#seconds += r.seconds;
    this.#lat.push(r.latencyMs);
    this.#firstError ??= r.firstError;
    if (t.name === 'yitong') this.#stats.push((await t.child.request('stats')) as unknown as Stats);
    return r;
  }

  finish(): CaseResult {
    const { t, name } = this;
    const ops = this.#ops;
    const attempts = Math.max(1, ops + this.#errors);
    const cpu = this.#meter.report();
    const cpuSeconds = cpu.child + (t.name === 'yitong' ? cpu.pg : 0);
    const stats = mergeStats(this.#stats);
    const res: CaseResult = {
      name,
      target: t.name,
      ops,
      errors: this.#errors,
      seconds: this.#seconds,
      opsPerSec: ops / this.#seconds,
      cpu,
      cpuSeconds,
      opsPerCpuSec: ops / cpuSeconds,
      providerMsPerOp: (cpu.child * 1000) / ops,
      providerMainMsPerOp: (cpu.childMain * 1000) / ops,
      pgMsPerOp: t.name === 'yitong' ? (cpu.pg * 1000) / ops : 0,
      httpPerOp: this.#http / attempts,
      latencyMs: this.#lat.reduce((a, b) => ({ p50: Math.max(a.p50, b.p50), p95: Math.max(a.p95, b.p95), max: Math.max(a.max, b.max) })),
      drainMs: Math.round(this.#drainMs),
      ...(this.#firstError ? { firstError: this.#firstError } : {}),
    };
    if (stats) {
      res.queriesPerOp = stats.total / attempts;
      res.topQueries = stats.queries.slice(0, 15).map((q) => ({ sql: q.sql.replace(/\s+/g, ' ').slice(0, 160), perOp: q.n / attempts, msPerOp: q.ms / attempts }));
    }
    const other = (cpu.other / cpu.wall).toFixed(2);
    log(
      `${t.name.padEnd(6)} ${name.padEnd(22)} ${ops} ops (${res.errors} errors) in ${res.seconds.toFixed(1)} s = ${res.opsPerSec.toFixed(1)}/s; ` +
        `${res.opsPerCpuSec.toFixed(1)}/CPU-s (provider ${res.providerMsPerOp.toFixed(2)} ms/op of which main thread ${res.providerMainMsPerOp.toFixed(2)}` +
        (t.name === 'yitong' ? `, pg ${res.pgMsPerOp.toFixed(2)} ms/op, ${res.queriesPerOp?.toFixed(1)} SQL/op` : '') +
        `, ${res.httpPerOp.toFixed(1)} HTTP/op, drain ${res.drainMs} ms); other load ${other} cores` +
        (res.firstError ? `; first error: ${res.firstError}` : ''),
    );
    return res;
  }
}

async function measure(t: Target, name: string, run: () => Promise<RunResult>): Promise<CaseResult> {
  const rec = new Recorder(t, name);
  await rec.window(run);
  return rec.finish();
}

function mergeStats(list: Stats[]): Stats | null {
  if (!list.length) return null;
  const m = new Map<string, { n: number; ms: number }>();
  let total = 0;
  for (const s of list) {
    total += s.total;
    for (const q of s.queries) {
      const e = m.get(q.sql) ?? { n: 0, ms: 0 };
      e.n += q.n;
      e.ms += q.ms;
      m.set(q.sql, e);
    }
  }
  return { total, queries: [...m].map(([sql, v]) => ({ sql, ...v })).sort((a, b) => b.n - a.n) };
}

const limits = (maxSeconds: number, maxOps = 1_000_000) => ({ concurrency: CONCURRENCY, maxOps, maxSeconds: T(maxSeconds) });

// ---------------------------------------------------------------------------------------------
// The protocol cases, run against either target

interface Grant {
  refreshToken: string;
  accessToken: string;
}

async function protocolCases(t: Target, opts: { ids?: string[]; password?: string }): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const { rp } = t;
  const pickId = () => (opts.ids ? opts.ids[Math.floor(Math.random() * opts.ids.length)] : 'fixed');

  // Browsers with a session, for collecting codes without a password (SSO): several per worker
  // (each its own session and grant, as many people would have), never shared between workers.
  const perWorker = Math.max(1, Math.floor(SSO_BROWSERS / CONCURRENCY));
  const sso = Array.from({ length: CONCURRENCY * perWorker }, () => new Browser());
  const ssoLogin = await runLoad({ concurrency: CONCURRENCY, maxOps: sso.length, maxSeconds: 120 }, async (i) => {
    await rp.login(sso[i], opts.ids ? opts.ids[i % opts.ids.length] : 'fixed', opts.password ?? '');
  });
  if (ssoLogin.errors) throw new Error(`${t.name}: signing the SSO browsers in failed: ${ssoLogin.firstError}`);
  const turn = new Array<number>(CONCURRENCY).fill(0);
  const ssoFor = (w: number) => sso[w * perWorker + (turn[w]++ % perWorker)];

  if (t.name === 'yitong') {
    // warm-up (JIT, pool connections), then password logins: one op = one complete flow by a
    // fresh browser, from /auth to the redirect carrying the code
    await runLoad({ concurrency: CONCURRENCY, maxOps: CONCURRENCY * 3, maxSeconds: 10 }, async () => {
      await rp.login(new Browser(), pickId(), opts.password!);
    });
    let last: PendingCode | undefined;
    results.push(
      await measure(t, 'password login', () =>
        runLoad(limits(25, 5000), async () => {
          last = await rp.login(new Browser(), pickId(), opts.password!);
        }),
      ),
    );
    // the codes the logins produced are good: one is redeemed (untimed) for tokens with a refresh token
    if (last) await rp.exchange(last);
    const capacity = results.at(-1)!.opsPerSec;
    const lr = await runOpenLoop({ rate: capacity * HALF, seconds: T(10) }, async () => void (await rp.login(new Browser(), pickId(), opts.password!)));
    latencyResults.push({ name: 'password login', capacityPerSec: capacity, ...lr });
    log(`latency password login at ${lr.rate.toFixed(1)}/s (half of ${capacity.toFixed(1)}/s): p50 ${lr.latencyMs.p50.toFixed(1)} ms, p99 ${lr.latencyMs.p99.toFixed(1)} ms, ${lr.errors} errors, ${lr.dropped} dropped`);
  }

  if (t.name === 'memory') {
    // the protocol floor of a login: the same redirects and interactions with a fresh browser,
    // login and consent finished at once (no page, no password)
    results.push(
      await measure(t, 'login flow, no password', () =>
        runLoad(limits(8), async () => {
          await rp.login(new Browser(), 'fixed', '');
        }),
      ),
    );
  }

  // Codes are collected by the SSO browsers (timed as its own case: an authorization with an
  // existing session, no password), then redeemed (timed), in rounds short enough that no code
  // nears its 60 s lifetime.
  const grants: Grant[] = [];
  const collect = async (seconds: number, max: number, codes: PendingCode[]): Promise<RunResult> => {
    const r = await runLoad({ concurrency: CONCURRENCY, maxOps: max, maxSeconds: seconds }, async (_i, w) => {
      codes.push(await rp.ssoCode(ssoFor(w)));
    });
    if (r.errors) throw new Error(`${t.name}: collecting codes failed ${r.errors} times: ${r.firstError}`);
    return r;
  };
  const redeem = (codes: PendingCode[]) =>
    runLoad({ concurrency: CONCURRENCY, maxOps: codes.length, maxSeconds: 60 }, async (i) => {
      const tk = await rp.exchange(codes[i]);
      grants.push({ refreshToken: tk.refresh_token!, accessToken: tk.access_token });
    });
  {
    // warm-up round
    const codes: PendingCode[] = [];
    await collect(T(3), 200, codes);
    await redeem(codes);
    grants.length = 0;
  }
  const authz = new Recorder(t, 'SSO authorization');
  const exchange = new Recorder(t, 'code exchange');
  const rounds = QUICK ? 1 : 3;
  for (let k = 0; k < rounds; k++) {
    const codes: PendingCode[] = [];
    await authz.window(() => collect(T(t.name === 'yitong' ? 10 : 5), 5000, codes));
    await exchange.window(() => redeem(codes));
  }
  results.push(authz.finish(), exchange.finish());
  {
    // open loop at half the exchange capacity: codes collected first (untimed), then redeemed at a
    // fixed rate. The in-memory provider's run at half its own capacity is the ceiling: the tail
    // this machine gives a process without a database at the same relative load.
    const capacity = results.at(-1)!.opsPerSec;
    const rate = capacity * HALF;
    const codes: PendingCode[] = [];
    await collect(60, Math.round(rate * T(8)), codes);
    const lr = await runOpenLoop({ rate, seconds: codes.length / rate }, async (i) => {
      const tk = await rp.exchange(codes[i]);
      grants.push({ refreshToken: tk.refresh_token!, accessToken: tk.access_token });
    });
    latencyResults.push({ name: t.name === 'yitong' ? 'code exchange' : 'oidc-provider in memory: code exchange', capacityPerSec: capacity, ...lr });
    log(`latency ${t.name} code exchange at ${rate.toFixed(1)}/s (half of ${capacity.toFixed(1)}/s): p50 ${lr.latencyMs.p50.toFixed(2)} ms, p99 ${lr.latencyMs.p99.toFixed(2)} ms, ${lr.errors} errors, ${lr.dropped} dropped`);
  }

  // Rotating refreshes: each grant's current refresh token is used once and replaced by the new one.
  const queue = [...grants];
  results.push(
    await measure(t, 'refresh', () =>
      runLoad(limits(12), async () => {
        const g = queue.shift();
        if (!g) throw new Error('no refresh token available');
        try {
          const tk = await rp.refresh(g.refreshToken);
          g.refreshToken = tk.refresh_token!;
          g.accessToken = tk.access_token;
        } finally {
          queue.push(g);
        }
      }),
    ),
  );

  results.push(await measure(t, 'client_credentials', () => runLoad(limits(10), async () => void (await rp.clientCredentials()))));

  const tokens = grants.map((g) => g.accessToken);
  results.push(await measure(t, 'userinfo', () => runLoad(limits(10), (i) => rp.userinfo(tokens[i % tokens.length]))));
  results.push(await measure(t, 'introspection', () => runLoad(limits(10), (i) => rp.introspect(tokens[i % tokens.length]))));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Ceilings

interface Ceiling {
  name: string;
  ops: number;
  seconds: number;
  opsPerSec: number;
  cpuSeconds: number;
  opsPerCpuSec: number;
  concurrency: string;
}

async function primitiveCeiling(mode: 'argon2' | 'es256', seconds: number): Promise<Ceiling> {
  const { child } = await Child.start(`ceiling-${mode}`, 'ceiling-child.ts', { args: [mode] });
  try {
    await child.request('run', { concurrency: CONCURRENCY, maxOps: 50, maxSeconds: 2 }); // warm-up
    const meter = new CpuMeter(child.pid, null);
    meter.start();
    const reply = await child.request('run', { concurrency: CONCURRENCY, maxOps: 1_000_000, maxSeconds: T(seconds) });
    meter.stop();
    const r = reply.result as RunResult;
    const cpu = meter.report();
    const c: Ceiling = {
      name: mode === 'argon2' ? 'argon2id verify (m=19456,t=2,p=1)' : 'ES256 sign (jose)',
      ops: r.ops,
      seconds: r.seconds,
      opsPerSec: r.ops / r.seconds,
      cpuSeconds: cpu.child,
      opsPerCpuSec: r.ops / cpu.child,
      concurrency:
        mode === 'argon2'
          ? `${CONCURRENCY} callers through the provider's gate: ${Number(process.env.HASH_CONCURRENCY) > 0 ? `HASH_CONCURRENCY=${process.env.HASH_CONCURRENCY}` : `min(cores, 3) = ${Math.max(1, Math.min(os.availableParallelism(), 3))}`} in parallel`
          : `${CONCURRENCY} callers`,
    };
    log(`ceiling ${c.name}: ${c.ops} ops in ${c.seconds.toFixed(1)} s = ${c.opsPerSec.toFixed(1)}/s, ${c.opsPerCpuSec.toFixed(1)}/CPU-s`);
    return c;
  } finally {
    await child.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));

function report(yitong: CaseResult[], memory: CaseResult[], ceilings: Ceiling[]) {
  const argon2 = ceilings.find((c) => c.name.startsWith('argon2'));
  const mem = (name: string) => memory.find((m) => m.name === name);
  const rows: string[] = [];
  const verdicts: { case: string; met: boolean; ratio: number; target: number }[] = [];
  rows.push('| case | ops | ops/s | ops/CPU-s | provider ms/op | PG ms/op | SQL/op | ceiling | ceiling ops/CPU-s | ratio (CPU) | ratio (wall) | target |');
  rows.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
  for (const r of yitong) {
    let ceilName = '';
    let ceilCpu: number | undefined;
    let ceilWall: number | undefined;
    let target: number | undefined;
    if (r.name === 'password login' && argon2) {
      ceilName = 'argon2id verify';
      ceilCpu = argon2.opsPerCpuSec;
      ceilWall = argon2.opsPerSec;
      target = TARGETS[r.name];
    } else if (mem(r.name)) {
      ceilName = 'oidc-provider in memory';
      ceilCpu = mem(r.name)!.opsPerCpuSec;
      ceilWall = mem(r.name)!.opsPerSec;
      target = TARGETS[r.name];
    }
    const ratio = ceilCpu ? r.opsPerCpuSec / ceilCpu : undefined;
    const ratioWall = ceilWall ? r.opsPerSec / ceilWall : undefined;
    let verdict = '';
    if (target !== undefined && ratio !== undefined) {
      const met = ratio >= target;
      verdicts.push({ case: r.name, met, ratio, target });
      verdict = `≥ ${Math.round(target * 100)}%: ${met ? '**met**' : '**missed**'}`;
    }
    rows.push(
      `| ${r.name} | ${r.ops}${r.errors ? ` (${r.errors} err)` : ''} | ${fmt(r.opsPerSec)} | ${fmt(r.opsPerCpuSec)} | ${fmt(r.providerMsPerOp, 2)} | ${fmt(r.pgMsPerOp, 2)} | ${fmt(r.queriesPerOp)} | ${ceilName || '–'} | ${fmt(ceilCpu)} | ${ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`} | ${ratioWall === undefined ? '–' : `${Math.round(ratioWall * 100)}%`} | ${verdict || '–'} |`,
    );
  }
  const ceilRows = ['| ceiling | ops | ops/s | ops/CPU-s | CPU ms/op | notes |', '|---|---:|---:|---:|---:|---|'];
  for (const c of ceilings) ceilRows.push(`| ${c.name} | ${c.ops} | ${fmt(c.opsPerSec)} | ${fmt(c.opsPerCpuSec)} | ${fmt(1000 / c.opsPerCpuSec, 2)} | ${c.concurrency} |`);
  for (const m of memory) ceilRows.push(`| oidc-provider in memory: ${m.name} | ${m.ops} | ${fmt(m.opsPerSec)} | ${fmt(m.opsPerCpuSec)} | ${fmt(m.providerMsPerOp, 2)} | one process, no database |`);
  const latRows = ['| case (open loop) | rate | of capacity | ops | errors | dropped | p50 ms | p90 ms | p99 ms | max ms | target |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|'];
  for (const l of latencyResults) {
    const limit = LATENCY_P99_TARGET_MS[l.name];
    const met = limit !== undefined ? l.latencyMs.p99 < limit && l.errors === 0 : undefined;
    if (limit !== undefined) verdicts.push({ case: `${l.name} p99 < ${limit} ms`, met: met!, ratio: limit / Math.max(l.latencyMs.p99, 1e-9), target: 1 });
    latRows.push(
      `| ${l.name} | ${fmt(l.rate)}/s | ${fmt(l.capacityPerSec)}/s × ${HALF} | ${l.ops} | ${l.errors} | ${l.dropped} | ${fmt(l.latencyMs.p50, 2)} | ${fmt(l.latencyMs.p90, 2)} | ${fmt(l.latencyMs.p99, 2)} | ${fmt(l.latencyMs.max, 2)} | ${limit === undefined ? '–' : `p99 < ${limit} ms: ${met ? '**met**' : '**missed**'}`} |`,
    );
  }
  return { table: rows.join('\n'), ceilings: ceilRows.join('\n'), latency: latRows.join('\n'), verdicts };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = Date.now();
  log(`node ${process.version}, ${os.availableParallelism()} cores, CLK_TCK ${CLK_TCK}, concurrency ${CONCURRENCY}${QUICK ? ', QUICK' : ''}`);
  const yitong: CaseResult[] = [];
  const memory: CaseResult[] = [];
  const ceilings: Ceiling[] = [];
  let queryBreakdown: Record<string, unknown> = {};
  let auditCheck: { ok: boolean; records: number } | undefined;

  // Both providers run side by side and take turns, one timed window each (see Turns): the machine's
  // speed drifts by tens of per cent over minutes, and a ratio is only fair when both sides of it
  // were measured under the same conditions.
  const flows: Promise<void>[] = [];
  if (PARTS.has('yitong')) {
    await admin(`create database ${dbName}`);
    created = true;
    log(`database ${dbName}; starting the provider and seeding ${PERSONS} persons`);
    const { child, ready } = await Child.start('provider', 'provider-child.ts', {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        YITONG_MASTER_KEY: MASTER_KEY,
        LOG_LEVEL: 'silent',
        BENCH_PERSONS: String(PERSONS),
        BENCH_PASSWORD: PASSWORD,
        BENCH_REDIRECT_URI: REDIRECT_URI,
      },
    });
    const rp = new Rp({ issuer: String(ready.issuer), clientId: String(ready.clientId), clientSecret: String(ready.clientSecret), redirectUri: REDIRECT_URI, scope: SCOPE });
    await rp.discover();
    const t: Target = { name: 'yitong', child, rp, meter: () => new CpuMeter(child.pid, dbName) };
    flows.push(
      turns.run(async () => {
        yitong.push(...(await protocolCases(t, { ids: ready.ids as string[], password: PASSWORD })));
        queryBreakdown = Object.fromEntries(yitong.map((r) => [r.name, r.topQueries]));
        auditCheck = (await child.request('verify-audit')).audit as typeof auditCheck;
        log(`audit chain after the load: ${JSON.stringify(auditCheck)}`);
        await child.stop();
      }),
    );
  }

  if (PARTS.has('memory')) {
    log('starting oidc-provider with the in-memory adapter');
    const { child, ready } = await Child.start('memory-provider', 'memory-provider-child.ts', { env: { ...process.env, BENCH_REDIRECT_URI: REDIRECT_URI } });
    const rp = new Rp({ issuer: String(ready.issuer), clientId: String(ready.clientId), clientSecret: String(ready.clientSecret), redirectUri: REDIRECT_URI, scope: SCOPE });
    await rp.discover();
    const t: Target = { name: 'memory', child, rp, meter: () => new CpuMeter(child.pid, null) };
    flows.push(
      turns.run(async () => {
        memory.push(...(await protocolCases(t, {})));
        await child.stop();
      }),
    );
  }
  await Promise.all(flows);

  if (PARTS.has('ceilings')) {
    ceilings.push(await primitiveCeiling('argon2', 12));
    ceilings.push(await primitiveCeiling('es256', 6));
  }

  const { table, ceilings: ceilTable, latency: latTable, verdicts } = report(yitong, memory, ceilings);
  // the best a login could do: one argon2 verify plus oidc-provider's own login flow in memory
  const argon2 = ceilings.find((c) => c.name.startsWith('argon2'));
  const memLogin = memory.find((m) => m.name === 'login flow, no password');
  const floor = argon2 && memLogin ? 1 / argon2.opsPerCpuSec / (1 / argon2.opsPerCpuSec + memLogin.providerMsPerOp / 1000) : undefined;
  const minutes = (Date.now() - started) / 60_000;
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    concurrency: CONCURRENCY,
    persons: PERSONS,
    quick: QUICK,
    profiled: Boolean(PROFILE_DIR),
    experiment: EXPERIMENT || null,
    auditCheck,
    minutes,
    method:
      'ops/CPU-s = operations / (utime+stime of the provider process + of the PostgreSQL postmaster, auxiliary processes and the bench database backends), from /proc/<pid>/stat over the timed windows plus the drain of fire-and-forget work; the bench client and other databases are excluded. Ratios compare ops/CPU-s.',
    targets: TARGETS,
    verdicts,
    loginFloorRatio: floor ?? null,
    yitong,
    latency: latencyResults,
    memory,
    ceilings,
    queryBreakdown,
  };
  const tag = [EXPERIMENT.replace(/\W+/g, '_'), PROFILE_DIR ? 'profiled' : '', QUICK ? 'quick' : ''].filter(Boolean).join('-');
  const resultsFile = path.join(here, tag ? `results-${tag}.json` : 'results.json');
  fs.writeFileSync(resultsFile, JSON.stringify(out, null, 2) + '\n');
  if (EXPERIMENT) console.log(`\n**EXPERIMENT ${EXPERIMENT}: the provider was patched by the bench; these are not Yitong's figures.**`);

  console.log(`\n## Yitong on PostgreSQL (concurrency ${CONCURRENCY}, ${os.availableParallelism()} cores, node ${process.version})\n`);
  console.log(table);
  if (latencyResults.length) {
    console.log('\n## Latency at half the measured capacity (open loop, from the scheduled start)\n');
    console.log(latTable);
  }
  console.log('\n## Ceilings measured in the same run\n');
  console.log(ceilTable);
  console.log('\n## Targets\n');
  if (!verdicts.length) console.log('(not evaluated: run all parts)');
  for (const v of verdicts) {
    if (v.case.includes(' p99 < ')) console.log(`- ${v.met ? 'MET   ' : 'MISSED'} ${v.case}`);
    else console.log(`- ${v.met ? 'MET   ' : 'MISSED'} ${v.case}: ${Math.round(v.ratio * 100)}% of the ceiling per CPU-second (target ${Math.round(v.target * 100)}%)`);
  }
  if (floor) console.log(`- context: argon2 plus the login flow of oidc-provider in memory (no database, no page, no password) would reach ${Math.round(floor * 100)}% of the argon2 ceiling`);
  const noisy = [...yitong, ...memory].filter((r) => r.cpu.other / r.cpu.wall > 0.25);
  if (noisy.length) {
    console.log(`\nNote: other processes used more than a quarter of a core during ${noisy.map((r) => `${r.target}/${r.name}`).join(', ')}: ops/s are depressed by contention; ops/CPU-s are less affected.`);
  }
  console.log(`\nresults: ${path.relative(process.cwd(), resultsFile)} (${minutes.toFixed(1)} min)`);
}

try {
  await main();
} catch (err) {
  console.error('[bench] failed:', (err as Error).stack ?? err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
