// The two facts a backup header states about the database it copies, read from a live database
// (kysely) or from a restored copy before it is put in place (a bare PGlite).
import { sql, type Kysely } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from '../db/schema.ts';

const LAST_MIGRATION = 'select name from yitong_migration order by name desc limit 1';
const FINGERPRINT = "select value from meta where key = 'master_key_fingerprint'";

export const backupStore = {
  async lastMigration(db: Kysely<Database>): Promise<string> {
    const r = await sql<{ name: string }>`select name from yitong_migration order by name desc limit 1`.execute(db);
    return r.rows[0]?.name ?? '';
  },
  /** what a restored copy holds: its last migration and the master key it was initialised with */
  async describeCopy(lite: PGlite): Promise<{ migration: string; fingerprint: string }> {
    const m = await lite.query<{ name: string }>(LAST_MIGRATION);
    const f = await lite.query<{ value: string }>(FINGERPRINT);
    return { migration: m.rows[0]?.name ?? '', fingerprint: f.rows[0]?.value ?? '' };
  },
};
