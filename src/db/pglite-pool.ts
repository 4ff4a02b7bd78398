// A pg-Pool look-alike over one embedded PGlite instance, so kysely's PostgresDialect serves both.
// PGlite is a single connection: connect() hands it out exclusively (a FIFO mutex), so a
// transaction never interleaves with another caller's queries.
import type { PGlite } from '@electric-sql/pglite';

const DML = /^\s*(?:with\b[\s\S]*?\b)?(insert|update|delete|merge)\b/i;

export class PGlitePool {
  #db: PGlite;
  #tail: Promise<void> = Promise.resolve();

  constructor(db: PGlite) {
    this.#db = db;
  }

  async connect() {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => held);
    await previous;
    const db = this.#db;
    let released = false;
    return {
      async query(sql: string, params: unknown[] = []) {
        const result = await db.query<Record<string, unknown>>(sql, params);
        const command = DML.exec(sql)?.[1]?.toUpperCase() ?? 'SELECT';
        return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release() {
        if (!released) {
          released = true;
          release();
        }
      },
    };
  }

  /**
   * The data directory as a gzipped tar, taken while holding the connection: no transaction is open
   * and no statement runs until it is done. The checkpoint flushes everything to the data files, so
   * the copy opens without WAL replay.
   */
  async dump(): Promise<Uint8Array> {
    const conn = await this.connect();
    try {
      await this.#db.exec('CHECKPOINT');
      const blob = await this.#db.dumpDataDir('gzip');
      return new Uint8Array(await blob.arrayBuffer());
    } finally {
      conn.release();
    }
  }

  async end() {
    await this.#tail;
    await this.#db.close();
  }
}
