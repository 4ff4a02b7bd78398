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
//   multi-row INSERTs. One process owns the data directory, so the department's import lock is a
//   set in this process (the server runs imports started from the admin console or the CLI it
//   hosts, possibly several at once).
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

const embeddedLocks = new Set<string>();

function pgliteSession(app: AppContext): ImportSession {
  let held: string | null = null;
  return {
    transaction: (fn) => app.db.transaction().execute((trx) => fn(bulkTx(trx))),
    lockDepartment: async (code) => {
      const key = `${app.config.dataDir}\u0000${code}`;
      if (embeddedLocks.has(key)) return false;
      embeddedLocks.add(key);
      held = key;
      return true;
    },
    close: async () => {
      if (held) embeddedLocks.delete(held);
      held = null;
    },
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
