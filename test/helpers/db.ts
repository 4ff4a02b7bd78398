// A fresh database per test file: a new PostgreSQL database when DATABASE_URL is set (CI), else an
// embedded PGlite under a temp dir. Dropped afterwards; no test depends on leftover state.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { setLogLevel } from '../../src/log.ts';

setLogLevel(process.env.TEST_LOG_LEVEL ?? 'silent');

export const TEST_MASTER_KEY = crypto.createHash('sha256').update('yitong-test-master-key').digest('base64');
/** CI runs the end-to-end tests once more with CRYPTO_SUITE=gm: servers and commands the tests start inherit it. */
export const TEST_CRYPTO_ENV: Record<string, string> = process.env.CRYPTO_SUITE ? { CRYPTO_SUITE: process.env.CRYPTO_SUITE } : {};

export interface TestDatabase {
  /** set when running against PostgreSQL */
  databaseUrl: string | undefined;
  /** a fresh temp dir (the PGlite data dir when databaseUrl is unset) */
  dataDir: string;
  cleanup(): Promise<void>;
}

async function adminQuery(sql: string) {
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Creates an empty database (not opened, not migrated). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-test-'));
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (base) {
    dbName = `yitong_t_${crypto.randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${dbName}`);
    const u = new URL(base);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  return {
    databaseUrl,
    dataDir,
    async cleanup() {
      if (dbName) await adminQuery(`drop database if exists ${dbName} with (force)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestDb extends Db {
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh database, opened and migrated. */
export async function createTestDb(opts: { poolSize?: number } = {}): Promise<TestDb> {
  const target = await createTestDatabase();
  const handle = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir }, opts);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url: target.databaseUrl,
    dataDir: target.dataDir,
    async drop() {
      await handle.close();
      await target.cleanup();
    },
  };
}
