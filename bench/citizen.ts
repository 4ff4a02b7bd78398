// `npm run bench:citizen`: registrations and SMS logins per CPU-second, beside the argon2id ceilings
// measured in the same process.
//
// One in-process Yitong server (startServer, shipped settings except the SMS and IDV endpoints and
// limits high enough for one client address) on its own PostgreSQL database, the Aliyun test
// gateway (it verifies every request's HMAC-SHA1 signature; the bench reads the code the phone got)
// and the IDV test server answering "match". Then, 8 in flight over loopback:
//   - registration: GET /register, POST "get code", the SMS, POST the form (IDV check, argon2id hash
//     of the new password, the person, level history, audit): 3 HTTP requests;
//   - SMS login: the app's authorization request to the login page, GET the SMS page, POST "get
//     code", the SMS, POST the code, redirect with an authorization code: 5 HTTP requests. Each
//     login uses its own registered number (one SMS per number per 60 s).
// ops/CPU-s divides operations by the CPU of this process (server, bench client, test gateway and
// IDV server together: an upper bound of the server's cost) plus the PostgreSQL backends of the
// bench database and the postmaster. The ceilings: argon2id hash (a registration needs one) and
// verify (a password login needs one; an SMS login none), through the server's own gate.
// Environment (optional): BENCH_DATABASE_URL (admin URL, loopback), BENCH_CONCURRENCY (8),
// BENCH_CITIZEN_SECONDS (20 per case), BENCH_QUICK=1 (5 s per case).
// Writes bench/results-citizen.json (a run artefact, git-ignored).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabase } from './lib/bench-db.ts';
import { forceLoopbackListen, freePort } from './lib/child-kit.ts';
import { Browser, closeAgent } from './lib/rp.ts';
import { CpuMeter } from './lib/cpu.ts';
import { runLoad, type RunResult } from './lib/runner.ts';
import { loadConfig } from '../src/config/env.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { addDepartment } from '../src/departments/service.ts';
import { addClient } from '../src/clients/service.ts';
import { hashPassword, verifyArgon2 } from '../src/crypto/password.ts';
import { idCheckChar } from '../src/identity/id-number.ts';
import { startAliyunGateway } from '../test/helpers/sms-gateways.ts';
import { startIdvServer } from '../test/helpers/idv.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = process.env.BENCH_QUICK === '1' ? 5 : Number(process.env.BENCH_CITIZEN_SECONDS ?? 20);
const PASSWORD = 'Rk8#tVm2qZ';
const REDIRECT_URI = 'http://127.0.0.1/bench/callback';
const MASTER_KEY = crypto.createHash('sha256').update('yitong-bench-citizen-key').digest('base64');
const log = (...a: unknown[]) => console.error('[bench:citizen]', ...a);

const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_bench_citizen');
forceLoopbackListen();

function idNumber(i: number): string {
  const born = new Date(Date.UTC(1960, 0, 1) + (i % 15_000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `320102${born}${String(Math.floor(i / 15_000) % 1000).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}
const phoneOf = (i: number) => `1360${String(i).padStart(7, '0')}`;

const formFields = (html: string) => Object.fromEntries([...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

interface Measured {
  run: RunResult;
  cpu: number;
  processCpu: number;
  pgCpu: number;
}

async function measured(meter: CpuMeter, limits: { maxOps: number; maxSeconds: number; concurrency?: number }, op: (i: number) => Promise<void>): Promise<Measured> {
  meter.start();
  const before = meter.report();
  const run = await runLoad({ concurrency: limits.concurrency ?? CONCURRENCY, maxOps: limits.maxOps, maxSeconds: limits.maxSeconds }, op);
  await new Promise((r) => setTimeout(r, 300)); // the audit appends and background sends the ops left behind
  meter.stop();
  const after = meter.report();
  const processCpu = after.child - before.child;
  const pgCpu = after.pg - before.pg;
  return { run, cpu: processCpu + pgCpu, processCpu, pgCpu };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const gw = await startAliyunGateway();
  const idv = await startIdvServer();
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: String(port),
    ISSUER: issuer,
    DATABASE_URL: dbUrl,
    YITONG_MASTER_KEY: MASTER_KEY,
    LOG_LEVEL: 'silent',
    ...gw.env,
    ...idv.env,
    IDV_TIMEOUT_MS: '2000',
    // one client address sends everything here
    SMS_IP_DAILY_LIMIT: '1000000',
    SMS_IP_PHONES_DAILY_LIMIT: '1000000',
    REGISTER_IP_HOURLY_LIMIT: '1000000',
  });
  let server: RunningServer | undefined;
  const meter = new CpuMeter(process.pid, dbName);
  try {
    server = await startServer(config);
    const { app } = server;
    await addDepartment(app, 'BENCH', '基准测试局', 'bench');
    const c = await addClient(app, { name: '基准测试应用', department: 'BENCH', redirectUris: [REDIRECT_URI] }, 'bench', server.clientRules());
    const authUrl = () => {
      const u = new URL(`${issuer}/auth`);
      u.search = new URLSearchParams({
        client_id: c.client_id,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: crypto.createHash('sha256').update(crypto.randomBytes(32).toString('base64url')).digest('base64url'),
        code_challenge_method: 'S256',
        state: crypto.randomBytes(8).toString('base64url'),
      }).toString();
      return u.toString();
    };

    // ceilings, through the server's own argon2 gate
    const hash = await hashPassword(PASSWORD);
    const hashCeiling = await measured(meter, { maxOps: 100_000, maxSeconds: Math.min(SECONDS, 10) }, async () => void (await hashPassword(PASSWORD)));
    const verifyCeiling = await measured(meter, { maxOps: 100_000, maxSeconds: Math.min(SECONDS, 10) }, async () => {
      if (!(await verifyArgon2(hash, PASSWORD))) throw new Error('verify failed');
    });
    log(`argon2id hash ${r1(hashCeiling.run.ops / hashCeiling.cpu)}/CPU-s, verify ${r1(verifyCeiling.run.ops / verifyCeiling.cpu)}/CPU-s`);

    // registrations
    const registered: number[] = [];
    const register = async (i: number) => {
      const id = idNumber(i);
      const name = `测试${String.fromCharCode(0x4e00 + (i % 20000))}`;
      idv.people.set(id, name);
      const b = new Browser();
      const page = await b.request(`${issuer}/register`);
      if (page.status !== 200) throw new Error(`register page: ${page.status}`);
      const values = { ...formFields(page.body), id_number: id, name, phone: phoneOf(i), password: PASSWORD };
      const before = gw.messages.length;
      const sent = await b.request(`${issuer}/register`, form({ ...values, action: 'send_code' }));
      if (sent.status !== 200 || !sent.body.includes('验证码已发送至')) throw new Error(`send code: ${sent.status}`);
      const code = await gw.codeFor(phoneOf(i), Math.max(0, before - CONCURRENCY * 2));
      const done = await b.request(`${issuer}/register`, form({ ...values, sms_code: code }));
      if (done.status !== 200 || !done.body.includes('注册成功')) throw new Error(`register: HTTP ${done.status} ${done.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`);
      registered.push(i);
    };
    const regs = await measured(meter, { maxOps: 100_000, maxSeconds: SECONDS }, register);
    log(`registrations: ${regs.run.ops} in ${r1(regs.run.seconds)} s, ${regs.run.errors} errors${regs.run.firstError ? ` (${regs.run.firstError})` : ''}`);

    // SMS logins, each with its own registered number, once the numbers' 60 s resend wait is over
    log('waiting 61 s: one SMS per number per minute');
    await new Promise((r) => setTimeout(r, 61_000));
    const numbers = [...registered];
    const smsLogin = async (k: number) => {
      const i = numbers[k];
      const b = new Browser();
      const page = await b.follow(authUrl(), REDIRECT_URI);
      const uid = page.url.split('/').at(-1)!;
      const sms = await b.request(`${issuer}/interaction/${uid}/sms`);
      if (sms.status !== 200) throw new Error(`sms page: ${sms.status}`);
      const fields = formFields(sms.body);
      const before = gw.messages.length;
      const sent = await b.request(`${issuer}/interaction/${uid}/sms`, form({ ...fields, phone: phoneOf(i), action: 'send_code' }));
      if (sent.status !== 200) throw new Error(`send code: ${sent.status}`);
      const code = await gw.codeFor(phoneOf(i), Math.max(0, before - CONCURRENCY * 2));
      const done = await b.follow(`${issuer}/interaction/${uid}/sms`, REDIRECT_URI, form({ ...fields, phone: phoneOf(i), sms_code: code }));
      if (!done.url.startsWith(REDIRECT_URI) || !new URL(done.url).searchParams.get('code')) throw new Error(`sms login did not finish: ${done.res.status}`);
    };
    const logins = await measured(meter, { maxOps: numbers.length, maxSeconds: SECONDS }, smsLogin);
    log(`SMS logins: ${logins.run.ops} in ${r1(logins.run.seconds)} s, ${logins.run.errors} errors${logins.run.firstError ? ` (${logins.run.firstError})` : ''}`);

    const row = (m: Measured, http: number, ceiling: Measured | null) => ({
      ops: m.run.ops,
      errors: m.run.errors,
      http_requests_per_op: http,
      ops_per_s: r1(m.run.ops / m.run.seconds),
      ops_per_cpu_s: r1(m.run.ops / m.cpu),
      process_ms_per_op: r1((m.processCpu * 1000) / Math.max(1, m.run.ops)),
      pg_ms_per_op: r1((m.pgCpu * 1000) / Math.max(1, m.run.ops)),
      latency_ms: { p50: r1(m.run.latencyMs.p50), p95: r1(m.run.latencyMs.p95) },
      ...(ceiling ? { ratio_to_ceiling: Math.round((m.run.ops / m.cpu / (ceiling.run.ops / ceiling.cpu)) * 1000) / 10 } : {}),
    });
    const result = {
      concurrency: CONCURRENCY,
      seconds_per_case: SECONDS,
      ceilings: { argon2id_hash_per_cpu_s: r1(hashCeiling.run.ops / hashCeiling.cpu), argon2id_verify_per_cpu_s: r1(verifyCeiling.run.ops / verifyCeiling.cpu) },
      registration: row(regs, 3, hashCeiling),
      sms_login: row(logins, 5, verifyCeiling),
      sms_sent: gw.messages.length,
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      date: new Date().toISOString(),
    };
    const file = path.join(here, 'results-citizen.json');
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await server?.stop().catch(() => {});
    await gw.close();
    await idv.close();
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
