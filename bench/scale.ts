// `npm run bench:scale`: scale-out. The same token load (client_credentials, then introspection of the
// token just issued: two requests, both audited or stateful) against one provider process and then
// against two on the same PostgreSQL database, with the same number of requests in flight in total.
//
// Reported: throughput of each, the two-node/one-node ratio, CPU per operation (providers and
// PostgreSQL), and how busy the machine was (which resource saturates). On a machine whose cores
// the load generator, PostgreSQL and the providers share, two nodes cannot add cores: what the bench
// can show is whether a second node costs extra work per operation (shared locks, contention). The
// per-CPU-second ratio near 1 says scale-out is then bounded by cores, not by the design.
//
// Environment (optional): BENCH_DATABASE_URL (admin URL, loopback), BENCH_SCALE_SECONDS (default 8),
// BENCH_CONCURRENCY (requests in flight in total, default 16).
import crypto from 'node:crypto';
import os from 'node:os';
import { benchDatabase } from './lib/bench-db.ts';
import { Child, stopAll } from './lib/children.ts';
import { CpuMeter, type CpuReport } from './lib/cpu.ts';
import { runLoad, type RunResult } from './lib/runner.ts';
import { Rp, closeAgent } from './lib/rp.ts';

const SECONDS = Number(process.env.BENCH_SCALE_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const MASTER_KEY = crypto.createHash('sha256').update('yitong-bench-scale-key').digest('base64');
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';
const log = (...a: unknown[]) => console.error('[bench:scale]', ...a);

const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_scale');

interface Node {
  child: Child;
  rp: Rp;
}

interface Result {
  nodes: number;
  run: RunResult;
  opsPerSec: number;
  providerMsPerOp: number;
  pgMsPerOp: number;
  opsPerCpuSec: number;
  /** cores busy over the window, whatever did the work (load generator, IRQ, others included) */
  busyCores: number;
  /** each node's JavaScript thread, busy fraction (one core at most: a Node process runs JS on one) */
  nodeMain: number[];
  pgCores: number;
}

async function startNode(secondary: boolean, client?: { clientId: string; clientSecret: string }): Promise<Node> {
  const env = { ...process.env, DATABASE_URL: dbUrl, YITONG_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'silent', BENCH_PERSONS: '1', BENCH_REDIRECT_URI: REDIRECT_URI, BENCH_SECONDARY: secondary ? '1' : '' };
  const { child, ready } = await Child.start(secondary ? 'node-b' : 'node-a', 'provider-child.ts', { env });
  const creds = client ?? { clientId: String(ready.clientId), clientSecret: String(ready.clientSecret) };
  const rp = new Rp({ issuer: String(ready.issuer), ...creds, redirectUri: REDIRECT_URI, scope: 'openid' });
  await rp.discover();
  return { child, rp };
}

const op = async (rp: Rp) => rp.introspect((await rp.clientCredentials()).access_token);

async function measure(nodes: Node[]): Promise<Result> {
  // warm up (JIT, pools, each node's audit chain claimed), then settle
  await runLoad({ concurrency: CONCURRENCY, maxOps: 400 * nodes.length, maxSeconds: 5 }, (_i, w) => op(nodes[w % nodes.length].rp));
  for (const n of nodes) await n.child.request('settle', { quietMs: 200, maxMs: 20_000 });
  // the first meter also counts PostgreSQL (every backend of the bench database, both nodes' included)
  const meters = nodes.map((n, i) => new CpuMeter(n.child.pid, i === 0 ? dbName : null));
  for (const m of meters) m.start();
  const run = await runLoad({ concurrency: CONCURRENCY, maxOps: 1_000_000, maxSeconds: SECONDS }, (_i, w) => op(nodes[w % nodes.length].rp));
  for (const n of nodes) await n.child.request('settle', { quietMs: 200, maxMs: 20_000 });
  for (const m of meters) m.stop();
  const reports: CpuReport[] = meters.map((m) => m.report());
  const provider = reports.reduce((a, r) => a + r.child, 0);
  const pg = reports[0].pg;
  const r0 = reports[0];
  // the first meter sees the whole machine: its own child, PostgreSQL, the bench, IRQ, and the other node as "other"
  const busyCores = (r0.child + r0.pgAll + r0.bench + r0.irq + r0.other) / r0.wall;
  const res = {
    nodes: nodes.length,
    run,
    opsPerSec: run.ops / run.seconds,
    providerMsPerOp: (provider * 1000) / run.ops,
    pgMsPerOp: (pg * 1000) / run.ops,
    opsPerCpuSec: run.ops / (provider + pg),
    busyCores,
    nodeMain: reports.map((r) => r.childMain / r.wall),
    pgCores: pg / r0.wall,
  };
  log(
    `${nodes.length} node(s): ${run.ops} ops (${run.errors} errors) = ${res.opsPerSec.toFixed(0)}/s, ${res.opsPerCpuSec.toFixed(0)}/CPU-s ` +
      `(providers ${res.providerMsPerOp.toFixed(2)} ms/op, pg ${res.pgMsPerOp.toFixed(2)} ms/op); JS threads ${res.nodeMain.map((x) => `${Math.round(x * 100)} %`).join(' + ')}, PostgreSQL ${res.pgCores.toFixed(2)} cores, machine ${busyCores.toFixed(2)} of ${os.availableParallelism()} cores busy; p50 ${run.latencyMs.p50.toFixed(1)} ms, p95 ${run.latencyMs.p95.toFixed(1)} ms` +
      (run.firstError ? `; first error: ${run.firstError}` : ''),
  );
  return res;
}

async function main(): Promise<void> {
  await admin(`create database ${dbName}`);
  try {
    const a = await startNode(false);
    const one = await measure([a]);
    const b = await startNode(true, { clientId: a.rp.config.clientId, clientSecret: a.rp.config.clientSecret });
    const two = await measure([a, b]);
    const cores = os.availableParallelism();
    console.log(`\n## Scale-out: client_credentials + introspection, ${CONCURRENCY} in flight, ${cores} cores, node ${process.version}\n`);
    console.log('| nodes | ops/s | ops/CPU-s | provider ms/op | PostgreSQL ms/op | cores busy | p50 ms | p95 ms | errors |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of [one, two]) {
      console.log(`| ${r.nodes} | ${r.opsPerSec.toFixed(0)} | ${r.opsPerCpuSec.toFixed(0)} | ${r.providerMsPerOp.toFixed(2)} | ${r.pgMsPerOp.toFixed(2)} | ${r.busyCores.toFixed(2)} of ${cores} | ${r.run.latencyMs.p50.toFixed(1)} | ${r.run.latencyMs.p95.toFixed(1)} | ${r.run.errors} |`);
    }
    const saturation = (r: Result) =>
      r.busyCores > cores * 0.9
        ? `the machine's CPU (${r.busyCores.toFixed(2)} of ${cores} cores)`
        : Math.max(...r.nodeMain) > 0.85
          ? `the provider's JavaScript thread (${Math.round(Math.max(...r.nodeMain) * 100)} % of its one core)`
          : `neither CPU (PostgreSQL ${r.pgCores.toFixed(2)} cores): latency`;
    console.log(`\ntwo nodes / one node: throughput ${(two.opsPerSec / one.opsPerSec).toFixed(2)}×, work per operation ${(one.opsPerCpuSec / two.opsPerCpuSec).toFixed(2)}× (1.00 = a second node adds no cost)`);
    console.log(`saturated: one node, ${saturation(one)}; two nodes, ${saturation(two)}`);
    await b.child.stop();
    await a.child.stop();
  } finally {
    await stopAll().catch(() => {});
    closeAgent();
    await admin(`drop database if exists ${dbName} with (force)`).catch((e: Error) => log(`could not drop ${dbName}: ${e.message}`));
  }
}

await main();
