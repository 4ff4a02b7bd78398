// Opens the database: PostgreSQL when DATABASE_URL is set, else embedded PGlite under DATA_DIR.
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/env.ts';
import type { Database } from './schema.ts';
import { PGlitePool } from './pglite-pool.ts';
import { checkNoInterruptedRestore, lockDataDir } from './dir-lock.ts';
import { logger } from '../log.ts';
import { namingClient, StatementNames } from './prepared.ts';

export interface Db {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const INT8 = 20;

/** A consistent copy of an embedded database's data directory (a gzipped tar), for `yitong backup`. */
export type EmbeddedDump = () => Promise<Uint8Array>;
// Keyed by the Kysely instance, so a hosted command reaches the server's PGlite through app.db
// without the AppContext growing a database-specific member.
const dumps = new WeakMap<object, EmbeddedDump>();
export const embeddedDump = (db: object): EmbeddedDump | undefined => dumps.get(db);

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePrepared'>>, opts: { poolSize?: number } = {}): Promise<Db> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      // Named statements unless switched off (DATABASE_PREPARED_STATEMENTS=off).
      ...(config.databasePrepared === false ? {} : { Client: namingClient(new StatementNames()) }),
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on('error', (err) => logger.warn({ err: err.message }, 'database pool error'));
    // A checked-out client whose connection dies emits 'error' outside any query; without a
    // listener that would be an uncaught exception. The failing query still rejects.
    pool.on('connect', (client) => client.on('error', (err) => logger.warn({ err: err.message }, 'database connection error')));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'postgres',
      async ping() {
        try {
          await pool.query('select 1');
          return true;
        } catch {
          return false;
        }
      },
      close: () => db.destroy(),
    };
  }
  const unlock = lockDataDir(config.dataDir);
  try {
    checkNoInterruptedRestore(config.dataDir);
    const { PGlite } = await import('@electric-sql/pglite');
    const lite = await PGlite.create(path.join(config.dataDir, 'pgdata'), { parsers: { [INT8]: Number } });
    const pool = new PGlitePool(lite);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
    dumps.set(db, () => pool.dump());
    return {
      db,
      kind: 'pglite',
      ping: async () => !lite.closed,
      async close() {
        await db.destroy();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}
