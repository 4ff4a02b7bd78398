// `npm run bench:admin`: the admin API's person search by ID number (persons.search: validation,
// the blind index, the lookup, masking, and the audit record every call writes) per CPU-second, on
// 10,000 and then 1,000,000 persons, with PostgreSQL's plan for the lookup at each size. The lookup
// goes through the unique index (id_type, id_number_bidx): O(log n), so the rate must not fall with
// the table's size.
//
// One process, its own PostgreSQL database: persons are inserted in batches with the stores' bulk
// methods over COPY (db/bulk.ts, accounts insertPersons), each with its ID number and phone sealed
// and blind-indexed as an import would. The operation runs through the same invoke() the API and
// console use, for an automation client holding the security role; 8 in flight. ops/CPU-s divides by
// the CPU of this process plus the bench database's PostgreSQL backends.
// Environment (optional): BENCH_DATABASE_URL (admin URL, loopback), BENCH_ADMIN_PERSONS (1000000),
// BENCH_ADMIN_SECONDS (10 per measurement), BENCH_QUICK=1 (100,000 persons, 4 s).
// Writes bench/results-admin.json (a run artefact, git-ignored).
import { benchDatabase } from './lib/bench-db.ts';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import { CpuMeter } from './lib/cpu.ts';
import { runLoad } from './lib/runner.ts';
import { loadConfig } from '../src/config/env.ts';
import { openApp } from '../src/bootstrap.ts';
import { bulkTx, openCopyConnection } from '../src/db/bulk.ts';
import { draftPerson, insertPersons } from '../src/accounts/service.ts';
import { personStore } from '../src/accounts/store.ts';
import { idCheckChar } from '../src/identity/id-number.ts';
import { invoke } from '../src/admin/api/invoke.ts';
import { operation } from '../src/admin/api/ops/index.ts';
import type { Principal } from '../src/admin/auth.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';
const TOTAL = Number(process.env.BENCH_ADMIN_PERSONS ?? (QUICK ? 100_000 : 1_000_000));
const SMALL = 10_000;
const SECONDS = QUICK ? 4 : Number(process.env.BENCH_ADMIN_SECONDS ?? 10);
const BATCH = 10_000;
const log = (...a: unknown[]) => console.error('[bench:admin]', ...a);

const { name: dbName, url: dbUrl, admin } = benchDatabase('yitong_bench_admin');

/** Distinct valid ID numbers: birth dates over 1940-2019, then the sequence code. */
function idNumber(i: number): string {
  const born = new Date(Date.UTC(1940, 0, 1) + (i % 29_000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${born}${String(Math.floor(i / 29_000)).padStart(3, '0')}`;
  return first17 + idCheckChar(first17);
}

const principal: Principal = { kind: 'client', actor: 'client:bench', clientId: 'bench', grants: [{ role: 'security', department: null }], displayName: 'bench', tokenId: 'bench' };
const r1 = (x: number) => Math.round(x * 10) / 10;

async function main() {
  await admin(`create database ${dbName}`);
  const opened = await openApp(loadConfig({ NODE_ENV: 'development', DATABASE_URL: dbUrl, YITONG_MASTER_KEY: crypto.createHash('sha256').update('yitong-bench-admin').digest('base64'), LOG_LEVEL: 'silent' }));
  const { app } = opened;
  const copy = await openCopyConnection(dbUrl, 'yitong-bench-admin');
  const meter = new CpuMeter(process.pid, dbName);
  const search = operation('persons.search');
  const meta = { locale: 'zh-CN' as const, ip: '127.0.0.1', via: 'api' as const, path: '/admin/api/v1/persons', rules: () => ({}) as never };
  let inserted = 0;
  const results: Record<string, unknown>[] = [];

  async function fillTo(n: number) {
    const t0 = performance.now();
    while (inserted < n) {
      const size = Math.min(BATCH, n - inserted);
      const drafts = Array.from({ length: size }, (_, k) => {
        const i = inserted + k;
        return draftPerson(app.keyring, { idType: 'resident_id', idNumber: idNumber(i), name: `测试${i}`, phone: `1390${String(i).padStart(7, '0')}`, email: null });
      });
      await copy.db.transaction().execute((trx) => insertPersons(bulkTx(trx, copy.copy), drafts));
      inserted += size;
    }
    await sql`analyze persons`.execute(copy.db);
    log(`${inserted.toLocaleString('en-US')} persons (${r1((performance.now() - t0) / 1000)} s to insert)`);
  }

  async function explain(idNum: string): Promise<string> {
    const bidx = app.keyring.blindIndex('resident_id', idNum);
    const q = app.db.selectFrom('persons').selectAll().where('id_type', '=', 'resident_id').where('id_number_bidx', '=', bidx).compile();
    const c = new pg.Client({ connectionString: dbUrl });
    await c.connect();
    try {
      const r = await c.query(`explain (analyze, buffers, costs off, timing off) ${q.sql}`, q.parameters as unknown[]);
      return r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n');
    } finally {
      await c.end();
    }
  }

  async function measure(label: string, fn: (i: number) => Promise<void>) {
    await runLoad({ concurrency: 8, maxOps: 2_000, maxSeconds: 2 }, fn); // warm-up
    meter.start();
    const before = meter.report();
    const run = await runLoad({ concurrency: 8, maxOps: 10_000_000, maxSeconds: SECONDS }, fn);
    await app.audit.drain();
    meter.stop();
    const after = meter.report();
    const cpu = after.child - before.child + (after.pg - before.pg);
    const row = { case: label, persons: inserted, ops: run.ops, ops_per_s: r1(run.ops / run.seconds), ops_per_cpu_s: r1(run.ops / cpu), process_cpu_s: r1(after.child - before.child), pg_cpu_s: r1(after.pg - before.pg) };
    log(JSON.stringify(row));
    results.push(row);
  }

  const cases = async () => {
    const pick = (_i: number) => idNumber(Math.floor(Math.random() * inserted));
    // the whole operation: validation, blind index, lookup, masking, the audit record
    await measure('persons.search (admin API operation, audited)', async (i) => {
      const out = await invoke(app, undefined as unknown as Provider, principal, search, { params: {}, query: { id_number: pick(i) }, body: undefined }, meta);
      if ((out as { body: { items: unknown[] } }).body.items.length !== 1) throw new Error('not found');
    });
    // the lookup alone: blind index + the indexed select
    await measure('blind-index lookup (store)', async (i) => {
      const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndex('resident_id', pick(i)));
      if (!row) throw new Error('not found');
    });
  };

  const plans: Record<string, string> = {};
  try {
    await fillTo(SMALL);
    await cases();
    plans[String(inserted)] = await explain(idNumber(1234));
    await fillTo(TOTAL);
    await cases();
    plans[String(inserted)] = await explain(idNumber(TOTAL - 7));
    for (const [n, plan] of Object.entries(plans)) log(`plan at ${Number(n).toLocaleString('en-US')} persons:\n${plan}`);
    fs.writeFileSync(path.join(here, 'results-admin.json'), JSON.stringify({ at: new Date().toISOString(), results, plans }, null, 2));
    console.log(JSON.stringify({ results, plans }, null, 2));
  } finally {
    await copy.close();
    await opened.close();
    await admin(`drop database if exists ${dbName} with (force)`);
  }
}

await main();
