// EXPERIMENT: what one SQL statement costs, in CPU of this (client) process and of the PostgreSQL
// backends, for the statements that dominate Yitong's token endpoints, issued (a) the way Yitong
// issues them (kysely builder -> unnamed extended-protocol query: parse + plan every time), (b) as
// the same text through pg directly, and (c) as a named prepared statement (parsed once per
// connection). Also one audit append (AuditLog.append: a 5-statement transaction, serialised).
//
//   node bench/experiments/sql-cost.ts        (uses BENCH_DATABASE_URL like the bench)
import crypto from 'node:crypto';
import pg from 'pg';
import { CpuMeter } from '../lib/cpu.ts';
import { runLoad } from '../lib/runner.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { payloadStore } from '../../src/oidc/payload-store.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { loadKeyring } from '../../src/crypto/master-key.ts';
import { loadConfig } from '../../src/config/env.ts';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `yitong_sqlcost_${crypto.randomBytes(4).toString('hex')}`;
const url = new URL(ADMIN_URL);
url.pathname = `/${dbName}`;
const SECONDS = Number(process.env.SQL_COST_SECONDS ?? 5);
const CONCURRENCY = 8;

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

await admin(`create database ${dbName}`);
const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '/nonexistent' }, { poolSize: 20 });
const pool = new pg.Pool({ connectionString: url.toString(), max: 20 });
pool.on('error', () => {}); // connections end when the database is dropped
try {
  await migrateToLatest(handle.db);
  const db = handle.db;
  const payload = {
    iat: 1700000000,
    exp: 1700000900,
    accountId: crypto.randomBytes(16).toString('base64url'),
    clientId: 'yt_0123456789abcdef0123',
    grantId: crypto.randomBytes(32).toString('base64url'),
    gty: 'authorization_code',
    kind: 'AccessToken',
    jti: '',
    scope: 'openid profile phone email id_card offline_access',
    claims: { id_token: {}, userinfo: {} },
    sessionUid: crypto.randomBytes(16).toString('base64url'),
    expiresWithSession: false,
  };
  const ids: string[] = [];
  for (let i = 0; i < 5000; i++) ids.push(crypto.randomBytes(32).toString('base64url'));
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .insertInto('oidc_payloads')
      .values(ids.slice(i, i + 500).map((id) => ({ model: 'AccessToken', id, payload: JSON.stringify({ ...payload, jti: id }), grant_id: payload.grantId, uid: null, user_code: null, expires_at: new Date(Date.now() + 900_000) })))
      .execute();
  }
  await sql0(`vacuum analyze oidc_payloads`);

  const findText = `select "payload", "consumed_at" from "oidc_payloads" where "model" = $1 and "id" = $2 and (expires_at is null or expires_at > now())`;
  const upsertText = `insert into "oidc_payloads" ("model", "id", "payload", "grant_id", "uid", "user_code", "expires_at") values ($1, $2, $3, $4, $5, $6, $7) on conflict ("model", "id") do update set "payload" = $8, "grant_id" = $9, "uid" = $10, "user_code" = $11, "expires_at" = $12`;
  const pick = () => ids[Math.floor(Math.random() * ids.length)];
  const upsertParams = () => {
    const id = crypto.randomBytes(32).toString('base64url');
    const json = JSON.stringify({ ...payload, jti: id });
    const exp = new Date(Date.now() + 900_000);
    return [id, json, exp] as const;
  };
  const keyring = loadKeyring(loadConfig({ YITONG_MASTER_KEY: crypto.createHash('sha256').update('sql-cost').digest('base64'), DATA_DIR: '/nonexistent' }));
  const audit = new AuditLog(db, keyring);

  const variants: [string, () => Promise<unknown>][] = [
    ['find: kysely (as Yitong)', () => payloadStore.find(db, 'AccessToken', pick())],
    ['find: pg, unnamed', () => pool.query(findText, ['AccessToken', pick()])],
    ['find: pg, named (prepared)', () => pool.query({ name: 'find', text: findText, values: ['AccessToken', pick()] })],
    [
      'upsert: kysely (as Yitong)',
      () => {
        const [id, json, exp] = upsertParams();
        return payloadStore.upsert(db, 'AccessToken', id, JSON.parse(json) as object, exp, { grantId: payload.grantId });
      },
    ],
    [
      'upsert: pg, named (prepared)',
      () => {
        const [id, json, exp] = upsertParams();
        return pool.query({ name: 'upsert', text: upsertText, values: ['AccessToken', id, json, payload.grantId, null, null, exp, json, payload.grantId, null, null, exp] });
      },
    ],
    ['audit append (AuditLog.append)', () => audit.append({ event: 'token.issue', outcome: 'success', actor: payload.accountId, clientId: payload.clientId, ip: '127.0.0.1', detail: { grant_type: 'refresh_token' } })],
  ];

  console.log(`| statement | ops/s | client CPU ms/op | PostgreSQL CPU ms/op | total ms/op |`);
  console.log(`|---|---:|---:|---:|---:|`);
  for (const [name, fn] of variants) {
    await runLoad({ concurrency: CONCURRENCY, maxOps: 500, maxSeconds: 2 }, async () => void (await fn())); // warm-up
    const meter = new CpuMeter(process.pid, dbName);
    meter.start();
    const r = await runLoad({ concurrency: CONCURRENCY, maxOps: 1_000_000, maxSeconds: SECONDS }, async () => void (await fn()));
    meter.stop();
    const cpu = meter.report();
    if (r.errors) console.error(name, r.firstError);
    const client = (cpu.child * 1000) / r.ops;
    const server = (cpu.pg * 1000) / r.ops;
    console.log(`| ${name} | ${(r.ops / r.seconds).toFixed(0)} | ${client.toFixed(3)} | ${server.toFixed(3)} | ${(client + server).toFixed(3)} |`);
  }
} finally {
  await pool.end();
  await handle.close();
  await admin(`drop database if exists ${dbName} with (force)`);
}

async function sql0(text: string) {
  await pool.query(text);
}
