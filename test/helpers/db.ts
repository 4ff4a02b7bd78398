// A fresh database per test file: a new PostgreSQL database when DATABASE_URL is set (CI), else an
// embedded PGlite under a temp dir. Dropped afterwards; no test depends on leftover state.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/connect.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export interface TestDb extends Db {
  url: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDb(opts: { poolSize?: number } = {}): Promise<TestDb> {
  const base = process.env.DATABASE_URL;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-test-'));
  let url: string | undefined;
  let dbName: string | undefined;
  if (base) {
    dbName = `yitong_t_${crypto.randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${dbName}`;
    url = u.toString();
  }
  const handle = await openDatabase({ databaseUrl: url, dataDir }, opts);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    url,
    dataDir,
    async drop() {
      await handle.close();
      if (base && dbName) {
        const admin = new pg.Client({ connectionString: base });
        await admin.connect();
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const TEST_MASTER_KEY = crypto.createHash('sha256').update('yitong-test-master-key').digest('base64');
