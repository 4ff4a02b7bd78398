// The two facts a backup header states about the database it copies, read from a live database
// (kysely) or from a restored copy before it is put in place (a bare PGlite).
import { sql, type Kysely } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type { Database } from '../db/schema.ts';

const LAST_MIGRATION = 'select name from yitong_migration order by name desc limit 1';
const FINGERPRINT = "select value from meta where key = 'master_key_fingerprint'";
/** an unfinished reseal's target key: new data (and the backup's MAC) are already under it */
const RESEAL = "select value from meta where key = 'crypto_reseal'";

export const backupStore = {
  async lastMigration(db: Kysely<Database>): Promise<string> {
    const r = await sql<{ name: string }>`select name from yitong_migration order by name desc limit 1`.execute(db);
    return r.rows[0]?.name ?? '';
  },
  /** what a restored copy holds: its last migration and the master keys it is under (the data's, and a reseal's target) */
  async describeCopy(lite: PGlite): Promise<{ migration: string; fingerprints: string[] }> {
    const m = await lite.query<{ name: string }>(LAST_MIGRATION);
    const f = await lite.query<{ value: string }>(FINGERPRINT);
    const r = await lite.query<{ value: string }>(RESEAL);
    const target = r.rows[0] ? (JSON.parse(r.rows[0].value) as { to?: { fingerprint?: string } }).to?.fingerprint : undefined;
    return { migration: m.rows[0]?.name ?? '', fingerprints: [f.rows[0]?.value ?? '', ...(target ? [target] : [])] };
  },
};
