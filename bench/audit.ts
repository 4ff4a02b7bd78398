// `npm run bench:audit`: audit appends per second, the way token issuance makes them (AuditLog.append
// without a caller transaction: group commit), from one node and from two nodes (separate
// processes, separate pools) on one PostgreSQL database, then `verify` over everything written.
//
// Ceiling (same run, same processes, same batching): the same rows inserted with one multi-row
// INSERT per batch into a copy of audit_log, with no head lock and no MAC. The ratio says what the
// chain costs; the two-node/one-node ratio says whether the head lock serialises nodes.
// CPU per append counts the node processes and the bench database's PostgreSQL backends.
//
// Environment (optional): BENCH_DATABASE_URL (admin URL, loopback), BENCH_AUDIT_SECONDS (default 5),
// BENCH_AUDIT_INFLIGHT (appends in flight per node, default 256).
import crypto from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../src/config/env.ts';
import { openApp } from '../src/bootstrap.ts';
import { listPostgres, procCpuSeconds } from './lib/cpu.ts';
import { benchDatabase } from './lib/bench-db.ts';

const SECONDS = Number(process.env.BENCH_AUDIT_SECONDS ?? 5);
const INFLIGHT = Number(process.env.BENCH_AUDIT_INFLIGHT ?? 256);
const MASTER_KEY = crypto.createHash('sha256').update('yitong-bench-audit-key').digest('base64');
const log = (...a: unknown[]) => console.error('[bench:audit]', ...a);

type Mode = 'chain' | 'ceiling';
interface ChildResult {
  appends: number;
  seconds: number;
  cpu: number;
}

const event = (i: number, node: number) => ({
  event: 'token.issue' as const,
  outcome: 'success' as const,
  actor: `sub-${i % 1000}`,
  clientId: 'bench-client',
  ip: '127.0.0.1',
  detail: { node, i, kind: 'AccessToken', grant: 'client_credentials' },
});

async function child(dbUrl: string, mode: Mode, node: number): Promise<ChildResult> {
  const config = loadConfig({ ...process.env, DATABASE_URL: dbUrl, YITONG_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'silent' });
  const opened = await openApp(config, { poolSize: 4 });
  const { app } = opened;
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  // the ceiling: the same group commit, minus the head lock and the MAC
  let queue: { resolve: () => void; reject: (e: unknown) => void; i: number }[] = [];
  let flushing = false;
  const plainAppend = (i: number) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ resolve, reject, i });
      if (flushing) return;
      flushing = true;
      setImmediate(async () => {
        while (queue.length) {
          const batch = queue.splice(0, 500);
          const values: unknown[] = [];
          const rows = batch.map((b, k) => {
            const e = event(b.i, node);
            values.push(e.actor, e.event, e.outcome, e.clientId, e.ip, JSON.stringify(e.detail), crypto.randomBytes(32).toString('hex'));
            const o = k * 7;
            return `(now(), $${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6}::jsonb, $${o + 7})`;
          });
          try {
            await pool.query(`insert into audit_ceiling (at, actor, event, outcome, client_id, ip, detail, hash) values ${rows.join(',')}`, values);
            for (const b of batch) b.resolve();
          } catch (err) {
            for (const b of batch) b.reject(err);
          }
        }
        flushing = false;
      });
    });

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  let appends = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (performance.now() < deadline) {
        const i = n++;
        if (mode === 'chain') await app.audit.append(event(i, node));
        else await plainAppend(i);
        appends++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const u = process.cpuUsage(cpu0);
  await pool.end();
  await opened.close();
  return { appends, seconds, cpu: (u.user + u.system) / 1e6 };
}

async function run(dbName: string, dbUrl: string, mode: Mode, nodes: number) {
  const pgMeter = new PgCpu(dbName);
  const results = await Promise.all(
    Array.from(
      { length: nodes },
      (_, node) =>
        new Promise<ChildResult>((resolve, reject) => {
          const c = fork(fileURLToPath(import.meta.url), ['--child', dbUrl, mode, String(node)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          c.once('message', (m) => resolve(m as ChildResult));
          c.once('exit', (code) => (code ? reject(new Error(`node ${node} exited ${code}`)) : undefined));
        }),
    ),
  );
  const pgCpuUsed = pgMeter.stop();
  const appends = results.reduce((s, r) => s + r.appends, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  const cpu = results.reduce((s, r) => s + r.cpu, 0) + pgCpuUsed;
  return { mode, nodes, appends, perSecond: appends / seconds, perCpuSecond: appends / cpu, nodeCpuMsPerAppend: (1000 * (cpu - pgCpuUsed)) / appends, pgCpuMsPerAppend: (1000 * pgCpuUsed) / appends };
}

/**
 * CPU seconds of the bench database's backends, the postmaster and PostgreSQL's helpers, sampled
 * every 50 ms: a backend's counters vanish with it when its node closes its pool.
 */
class PgCpu {
  #seen = new Map<number, { first: number; last: number }>();
  #timer: NodeJS.Timeout;
  #dbName: string;
  constructor(dbName: string) {
    this.#dbName = dbName;
    this.#sample(true);
    this.#timer = setInterval(() => this.#sample(false), 50);
  }
  #sample(initial: boolean) {
    for (const [pid, role] of listPostgres(this.#dbName)) {
      if (role === 'other') continue;
      const now = procCpuSeconds(pid);
      if (now === null) continue;
      const t = this.#seen.get(pid);
      // a backend that appears during the run did all its work inside it
      if (!t) this.#seen.set(pid, { first: initial ? now : 0, last: now });
      else t.last = now;
    }
  }
  stop(): number {
    clearInterval(this.#timer);
    let sum = 0;
    for (const t of this.#seen.values()) sum += t.last - t.first;
    return sum;
  }
}

async function main() {
  const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_bench_audit');
  await admin(`create database ${dbName}`);
  try {
    const config = loadConfig({ ...process.env, DATABASE_URL: dbUrl, YITONG_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'silent' });
    const opened = await openApp(config, { poolSize: 2 }); // migrates
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    await c.query('create table audit_ceiling (like audit_log including defaults)');
    await c.query("alter table audit_ceiling alter column seq drop not null, alter column prev_hash drop not null, alter column key_id set default 'intl-00000000'");
    await c.end();
    await opened.close();

    const rows: Awaited<ReturnType<typeof run>>[] = [];
    for (const [mode, nodes] of [['ceiling', 1], ['chain', 1], ['ceiling', 2], ['chain', 2]] as const) {
      const r = await run(dbName, dbUrl, mode, nodes);
      log(`${mode} × ${nodes} node(s): ${r.appends} appends, ${r.perSecond.toFixed(0)}/s, ${r.perCpuSecond.toFixed(0)}/CPU-s (node ${r.nodeCpuMsPerAppend.toFixed(3)} ms + PG ${r.pgCpuMsPerAppend.toFixed(3)} ms per append)`);
      rows.push(r);
    }
    const again = await openApp(config, { poolSize: 2 });
    const t0 = performance.now();
    const verified = await again.app.audit.verify();
    const verifySeconds = (performance.now() - t0) / 1000;
    await again.close();
    const by = (m: Mode, n: number) => rows.find((r) => r.mode === m && r.nodes === n)!;
    console.log(`\n| case | appends/s | appends/CPU-s | vs ceiling (CPU) |\n|---|---:|---:|---:|`);
    for (const r of rows) console.log(`| ${r.mode === 'chain' ? 'audit chain' : 'plain insert (ceiling)'}, ${r.nodes} node(s) | ${r.perSecond.toFixed(0)} | ${r.perCpuSecond.toFixed(0)} | ${r.mode === 'chain' ? `${((100 * r.perCpuSecond) / by('ceiling', r.nodes).perCpuSecond).toFixed(0)} %` : '–'} |`);
    console.log(`\ntwo nodes / one node (appends/s): chain ${(by('chain', 2).perSecond / by('chain', 1).perSecond).toFixed(2)}×, ceiling ${(by('ceiling', 2).perSecond / by('ceiling', 1).perSecond).toFixed(2)}×`);
    console.log(`verify: ${verified.ok ? 'ok' : 'FAILED'}, ${verified.records} records in ${verifySeconds.toFixed(1)} s (${(verified.records / verifySeconds).toFixed(0)} records/s)`);
    if (!verified.ok) process.exitCode = 1;
  } finally {
    await admin(`drop database if exists ${dbName} with (force)`);
  }
}

if (process.argv[2] === '--child') {
  const [, , , dbUrl, mode, node] = process.argv;
  child(dbUrl, mode as Mode, Number(node)).then(
    (r) => {
      process.send!(r);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
