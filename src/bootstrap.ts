// Opens everything a command or the server needs: keyring, database (migrated), services.
import type { Config } from './config/env.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Db } from './db/connect.ts';
import { migrateToLatest } from './db/migrate.ts';
import { checkCrypto } from './crypto/startup.ts';
import { loadKeyring } from './crypto/master-key.ts';
import { AuditLog } from './audit/service.ts';
import { setHashConcurrency } from './crypto/password.ts';
import { setLogLevel } from './log.ts';

export { CryptoMismatchError, WrongMasterKeyError } from './crypto/startup.ts';

export interface OpenApp {
  app: AppContext;
  handle: Db;
  migrated: string[];
  close(): Promise<void>;
}

/** `skipCryptoCheck`: only for `yitong crypto status/reseal`, which inspect or change the suite and key themselves. */
export async function openApp(config: Config, opts: { poolSize?: number; skipCryptoCheck?: boolean } = {}): Promise<OpenApp> {
  setLogLevel(config.logLevel);
  setHashConcurrency(config.hashConcurrency);
  const keyring = loadKeyring(config);
  const handle = await openDatabase(config, opts);
  try {
    const migrated = await migrateToLatest(handle.db);
    // Data sealed under one key or suite cannot be read under another: refuse to start rather than fail later.
    if (!opts.skipCryptoCheck) await checkCrypto(handle.db, keyring);
    const app: AppContext = { config, db: handle.db, keyring, audit: new AuditLog(handle.db, keyring) };
    return {
      app,
      handle,
      migrated,
      async close() {
        await app.audit.drain(); // queued audit records are written before the pool closes
        await app.audit.release().catch(() => undefined); // else its chain stays leased a minute
        await handle.close();
      },
    };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
