// Opens everything a command or the server needs: keyring, database (migrated), services.
import type { Config } from './config/env.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Db } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { metaStore } from './db/meta-store.ts';
import { loadKeyring } from './crypto/master-key.ts';
import { AuditLog } from './audit/service.ts';
import { setHashConcurrency } from './crypto/password.ts';
import { setLogLevel } from './log.ts';

export class WrongMasterKeyError extends Error {
  constructor() {
    super(
      '主密钥与数据库不匹配：数据库是用另一个 YITONG_MASTER_KEY 初始化的。\n' +
        'The master key does not match this database: it was initialised with a different YITONG_MASTER_KEY.',
    );
  }
}

export interface OpenApp {
  app: AppContext;
  handle: Db;
  migrated: string[];
  close(): Promise<void>;
}

export async function openApp(config: Config, opts: { poolSize?: number } = {}): Promise<OpenApp> {
  setLogLevel(config.logLevel);
  setHashConcurrency(config.hashConcurrency);
  const keyring = loadKeyring(config);
  const handle = await openDatabase(config, opts);
  try {
    const migrated = await migrateToLatest(handle.db);
    // Data sealed under one key cannot be read under another: refuse to start rather than fail later.
    const stored = await metaStore.putIfAbsent(handle.db, 'master_key_fingerprint', keyring.fingerprint);
    if (stored !== keyring.fingerprint) throw new WrongMasterKeyError();
    const app: AppContext = { config, db: handle.db, keyring, audit: new AuditLog(handle.db, keyring) };
    return {
      app,
      handle,
      migrated,
      async close() {
        await app.audit.drain(); // queued audit records are written before the pool closes
        await handle.close();
      },
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
