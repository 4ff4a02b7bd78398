// Where an import writes its batches. Each batch is one transaction, given as a BulkTx so the
// stores' bulk methods can use COPY where the connection offers it.
//
// - PostgreSQL: a dedicated connection of the import's own (db/bulk.ts: COPY inside the batch's
//   transaction, synchronous_commit off: a PostgreSQL crash may lose the last batches committed,
//   but each batch and its checkpoint commit together, so resume redoes exactly those). The
//   connection also holds the per-department import lock (a session advisory lock): it is released
//   when the process dies, so a killed job can be resumed at once, and two imports of one
//   department never interleave.
// - PGlite: the application's single connection, taken per transaction; bulk rows go in as
//   multi-row INSERTs. One process owns the data directory, so no lock is needed.
import type { AppContext } from '../../context.ts';
import { bulkTx, openCopyConnection, type BulkTx } from '../../db/bulk.ts';
import { importLockStore } from '../store.ts';

export interface ImportSession {
  transaction<T>(fn: (tx: BulkTx) => Promise<T>): Promise<T>;
  /** Takes the department's import lock for the life of the session; false when another holds it. */
  lockDepartment(code: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function openImportSession(app: AppContext): Promise<ImportSession> {
  return app.config.databaseUrl ? openPostgresSession(app.config.databaseUrl) : pgliteSession(app);
}

function pgliteSession(app: AppContext): ImportSession {
  return {
    transaction: (fn) => app.db.transaction().execute((trx) => fn(bulkTx(trx))),
    lockDepartment: async () => true,
    close: async () => {},
  };
}

async function openPostgresSession(url: string): Promise<ImportSession> {
  const conn = await openCopyConnection(url, 'yitong-import');
  return {
    transaction: (fn) => conn.db.transaction().execute((trx) => fn(bulkTx(trx, conn.copy))),
    lockDepartment: (code) => importLockStore.tryTake(conn.db, code),
    close: () => conn.close(),
  };
}
