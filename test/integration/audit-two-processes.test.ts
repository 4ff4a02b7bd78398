// Two processes (two provider nodes) appending to the audit trail at the same time on PostgreSQL:
// every record lands once, each process in chains of its own (no lock shared between them), and
// the whole verifies. PGlite is one process by design.
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

  it('writes every record of both, each process into chains of its own, and the whole verifies', async () => {
    expect(await Promise.all([appender(t.url!, 'node-a'), appender(t.url!, 'node-b')])).toEqual(['done', 'done']);
    const rows = await sql<{ seq: string; actor: string; chain: number }>`select seq, actor, chain from audit_log order by seq`.execute(t.db);
    expect(new Set(rows.rows.map((r) => Number(r.seq))).size).toBe(2 * PER_PROCESS);
    // no chain written by both (the first appends of each, racing, may claim more than one)
    const chainsOf = (node: string) => new Set(rows.rows.filter((r) => r.actor.startsWith(node)).map((r) => Number(r.chain)));
    const [a, b] = [chainsOf('node-a'), chainsOf('node-b')];
    expect([...a].filter((c) => b.has(c))).toEqual([]);
    const actors = new Set(rows.rows.map((r) => r.actor));
    for (const n of ['node-a', 'node-b']) for (let i = 0; i < PER_PROCESS; i++) expect(actors.has(`${n}-${i}`)).toBe(true);
    // both processes interleaved: neither wrote all of its records before the other started
    const firstB = rows.rows.findIndex((r) => r.actor.startsWith('node-b'));
    const lastA = rows.rows.map((r) => r.actor.startsWith('node-a')).lastIndexOf(true);
    expect(firstB).toBeLessThan(lastA);
    const audit = new AuditLog(t.db, new Keyring(parseMasterKey(TEST_MASTER_KEY)));
    expect(await audit.verify()).toEqual({ ok: true, records: 2 * PER_PROCESS });
    // both let go of their chains when they closed: the next processes take them over
    const held = await sql<{ n: string }>`select count(*) as n from audit_head where holder is not null`.execute(t.db);
    expect(Number(held.rows[0].n)).toBe(0);
  });
});
