// The bench's own PostgreSQL database: a fresh randomly named database on the admin URL's server
// (loopback only: load stays on this machine), and a one-shot admin statement for creating and
// dropping it.
import crypto from 'node:crypto';
import pg from 'pg';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  /** runs one statement on the admin database (create / drop database) */
  admin(sql: string): Promise<void>;
}

/** Names a fresh database `<prefix>_<random>`; exits with status 2 unless BENCH_DATABASE_URL is loopback. */
export function benchDatabase(prefix: string): BenchDatabase {
  const host = new URL(ADMIN_URL).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    console.error(`BENCH_DATABASE_URL must point at loopback, got ${host}`);
    process.exit(2);
  }
  const name = `${prefix}_${crypto.randomBytes(5).toString('hex')}`;
  const url = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  return {
    name,
    url,
    async admin(sql: string) {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    },
  };
}
