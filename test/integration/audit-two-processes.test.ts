// Two processes (two provider nodes) appending to one audit chain at the same time on PostgreSQL:
// every record lands once, in one gapless chain that verifies. PGlite is one process by design.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';

const HELPER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../helpers/audit-appender.ts');
const PER_PROCESS = 300;

function appender(url: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HELPER, url, name, String(PER_PROCESS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${name} exited ${code}: ${err}`))));
  });
}

describe.skipIf(!process.env.DATABASE_URL)('audit chain written by two processes', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('keeps one gapless chain that verifies, with every record of both', async () => {
    expect(await Promise.all([appender(t.url!, 'node-a'), appender(t.url!, 'node-b')])).toEqual(['done', 'done']);
    const rows = await sql<{ seq: string; actor: string }>`select seq, actor from audit_log order by seq`.execute(t.db);
    expect(rows.rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 2 * PER_PROCESS }, (_, i) => i + 1));
    const actors = new Set(rows.rows.map((r) => r.actor));
    for (const n of ['node-a', 'node-b']) for (let i = 0; i < PER_PROCESS; i++) expect(actors.has(`${n}-${i}`)).toBe(true);
    // both processes interleaved: neither wrote all of its records before the other started
    const firstB = rows.rows.findIndex((r) => r.actor.startsWith('node-b'));
    const lastA = rows.rows.map((r) => r.actor.startsWith('node-a')).lastIndexOf(true);
    expect(firstB).toBeLessThan(lastA);
    const audit = new AuditLog(t.db, new Keyring(parseMasterKey(TEST_MASTER_KEY)));
    expect(await audit.verify()).toEqual({ ok: true, records: 2 * PER_PROCESS });
  });
});
