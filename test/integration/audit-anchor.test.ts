// Audit anchoring on a real database (PGlite, or PostgreSQL when DATABASE_URL is set): a signed
// checkpoint of the head notices a chain cut back (truncated) or cut back and continued (rewound),
// which the chain alone cannot; and retention drops whole monthly partitions while verification
// (and an old checkpoint) still spans the boundary through the purge anchor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer } from '../helpers/server.ts';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { GENESIS_HASH, chainHash } from '../../src/audit/chain.ts';
import * as store from '../../src/audit/store.ts';
import { CheckpointExistsError, CheckpointSigner, checkSignature, checkpointFile, checkpointFiles, parseCheckpoint, writeCheckpoint } from '../../src/audit/checkpoint.ts';
import { checkpointIntoDir } from '../../src/audit/tasks.ts';
import { knownCheckpointKeys } from '../../src/audit/checkpoint-keys.ts';

const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
const signer = CheckpointSigner.fromMasterKey(parseMasterKey(TEST_MASTER_KEY));
const DAY = 86_400_000;

async function append(audit: AuditLog, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) await audit.append({ event: 'login.success', outcome: 'success', actor: `sub-${tag}`, detail: { i } });
}

describe('audit checkpoints against the chain', () => {
  let t: TestDb;
  let audit: AuditLog;

  beforeAll(async () => {
    t = await createTestDb();
    audit = new AuditLog(t.db, keyring, { verifyPageSize: 4 });
  });
  afterAll(() => t?.drop());

  it('an empty chain reaches its own checkpoint', async () => {
    const cp = signer.sign(await audit.head(), new Date());
    expect(cp).toMatchObject({ seq: 0, hash: GENESIS_HASH });
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: true, records: 0 });
  });

  it('detects truncation (newest rows deleted, head moved back) and rewinding (then continued)', async () => {
    await append(audit, 10, 'a');
    const cp = signer.sign(await audit.head(), new Date());
    expect(cp.seq).toBe(10);
    expect(checkSignature(cp, signer.publicKey)).toBeNull();
    await append(audit, 3, 'b');
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: true, records: 13, head: { seq: 13 } });

    // someone with database access removes everything from seq 9 on and moves the head back
    const kept = await store.hashAt(t.db, 8);
    await sql`delete from audit_log where seq >= 9`.execute(t.db);
    await sql`update audit_head set seq = 8, hash = ${kept} where chain = 1`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: true, records: 8 }); // the chain alone cannot tell
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: false, reason: 'truncated', head: { seq: 8 } });

    // ... and writes new records in their place: seq 10 exists again, with another hash
    await append(audit, 5, 'c');
    expect(await audit.verify()).toEqual({ ok: true, records: 13 });
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: false, reason: 'rewound' });

    // a checkpoint re-signed over the new head by another key is refused by its signature check
    const forger = CheckpointSigner.fromMasterKey(crypto.randomBytes(32));
    const forged = forger.sign(await audit.head(), new Date());
    expect(await audit.verifyReaches(forged)).toMatchObject({ ok: true }); // the head itself is fine ...
    expect(checkSignature(forged, signer.publicKey)).toBe('wrong_key'); // ... but not signed by our key
  });

  it('a broken chain fails even when the checkpointed record is intact', async () => {
    const cp = signer.sign(await audit.head(), new Date());
    await sql`update audit_log set actor = 'sub-x' where seq = 3`.execute(t.db);
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: false, reason: 'chain_broken', chain: { ok: false, firstBad: { seq: 3, reason: 'hash_mismatch' } } });
    await sql`update audit_log set actor = 'sub-a' where seq = 3`.execute(t.db);
    expect(await audit.verifyReaches(cp)).toMatchObject({ ok: true });
  });
});

describe('a directory of checkpoints after a rewind', () => {
  let t: TestDb;
  let audit: AuditLog;
  let dir: string;

  beforeAll(async () => {
    t = await createTestDb();
    audit = new AuditLog(t.db, keyring, { verifyPageSize: 4 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-cp-dir-'));
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the task signs, skips an unchanged head, and refuses to sign once the chain no longer reaches its last checkpoint', async () => {
    await append(audit, 6, 'a');
    expect(await checkpointIntoDir(t.db, audit, signer, dir)).toBe('written');
    expect(await checkpointIntoDir(t.db, audit, signer, dir)).toBe('unchanged');
    await append(audit, 4, 'b');
    expect(await checkpointIntoDir(t.db, audit, signer, dir)).toBe('written');
    expect(checkpointFiles(dir).map((f) => path.basename(f))).toEqual(['checkpoint-6.json', 'checkpoint-10.json']);

    // rewind: cut back to seq 5 and write other records in place of 6..12
    await sql`delete from audit_log where seq >= 6`.execute(t.db);
    await sql`update audit_head set seq = 5, hash = ${await store.hashAt(t.db, 5)} where chain = 1`.execute(t.db);
    await append(audit, 7, 'c');
    expect(await audit.verify()).toEqual({ ok: true, records: 12 });
    expect(await checkpointIntoDir(t.db, audit, signer, dir)).toBe('refused');
    expect(checkpointFiles(dir)).toHaveLength(2); // nothing signed over the rewritten chain
  });

  it('every checkpoint is checked: one signed after the rewind does not hide the earlier ones', async () => {
    // a node whose task ran without the check (or an operator's `audit checkpoint`) signed the new head
    writeCheckpoint(signer.sign(await audit.head(), new Date()), { dir });
    const cps = checkpointFiles(dir).map((f) => parseCheckpoint(fs.readFileSync(f, 'utf8'))!);
    // seqs come from a sequence: the records written in place of 6..12 after the rewind are 11..17
    expect(cps.map((c) => c.seq)).toEqual([6, 10, 17]);
    expect(await audit.verifyReaches(cps[2])).toMatchObject({ ok: true }); // the newest alone passes
    expect(await audit.verifyReaches(cps)).toMatchObject({ ok: false, reason: 'rewound', at: 0 });
  });

  it('never overwrites a checkpoint file', async () => {
    const file = checkpointFiles(dir)[0];
    const before = fs.readFileSync(file, 'utf8');
    const other = { ...signer.sign(await audit.head(), new Date()), seq: 6 };
    expect(() => writeCheckpoint(other, { dir })).toThrow(CheckpointExistsError);
    expect(() => writeCheckpoint(other, { file })).toThrow(/not overwritten/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('after the checkpoint key changes (a master-key rotation), the earlier key stays trusted and the task still checks reach', async () => {
    const rotated = CheckpointSigner.fromMasterKey(Buffer.alloc(32, 9));
    expect(await knownCheckpointKeys(t.db)).toEqual([signer.publicKey.toLowerCase()]);
    // rewound once more, behind the newest checkpoint (seq 17, old key): the new key's first run still
    // checks reach against it, and refuses
    await sql`delete from audit_log where seq >= 16`.execute(t.db);
    await sql`update audit_head set seq = 15, hash = ${await store.hashAt(t.db, 15)} where chain = 1`.execute(t.db);
    await append(audit, 3, 'd');
    expect(await checkpointIntoDir(t.db, audit, rotated, dir)).toBe('refused');
    expect(await knownCheckpointKeys(t.db)).toEqual([signer.publicKey, rotated.publicKey].map((k) => k.toLowerCase()));
    const first = parseCheckpoint(fs.readFileSync(checkpointFiles(dir)[0], 'utf8'))!;
    expect(checkSignature(first, await knownCheckpointKeys(t.db))).toBeNull();
    expect(checkSignature(first, rotated.publicKey)).toBe('wrong_key');
  });

  it('the task does not take a deleted prefix for a purge', async () => {
    const cp = signer.sign({ seq: 3, hash: (await store.hashAt(t.db, 3))! }, new Date());
    expect(await audit.stillReaches(cp)).toBeNull();
    await sql`delete from audit_log where seq <= 4`.execute(t.db);
    expect(await audit.stillReaches(cp)).toBe('chain_broken');
  });
});

describe('audit retention by partition', () => {
  let t: TestDb;
  let audit: AuditLog;

  async function partitions(): Promise<string[]> {
    const r = await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'audit_log'::regclass`.execute(t.db);
    return r.rows.map((x) => x.name);
  }

  beforeAll(async () => {
    t = await createTestDb({ poolSize: 3 });
    audit = new AuditLog(t.db, keyring, { verifyPageSize: 4 });
    // records as an older server wrote them: seq 1-5 450 days ago (no partition for that month: the
    // default partition), seq 6-10 410 days ago in that month's partition
    const oldMonth = store.monthPartition(new Date(Date.now() - 410 * DAY));
    await store.createMonthPartition(t.db, oldMonth);
    let prev = GENESIS_HASH;
    const rows = [];
    for (let seq = 1; seq <= 10; seq++) {
      const at = new Date(Date.now() - (seq <= 5 ? 450 : 410) * DAY + seq * 1000);
      const fields = { seq, at, actor: 'sub-old', event: 'login.success', outcome: 'success', client_id: null, ip: null, detail: { seq }, key_id: keyring.auditKeyId };
      const hash = chainHash(keyring, prev, fields);
      rows.push({ ...fields, prev_hash: prev, hash });
      prev = hash;
    }
    await store.insertRecords(t.db, rows);
    await store.updateHead(t.db, 1, 10, prev);
    await append(audit, 5, 'new');
  });
  afterAll(() => t?.drop());

  it.skipIf(!process.env.DATABASE_URL)('postpones the purge, not the appends, while a long read holds audit_log (PostgreSQL)', async () => {
    const patient = new AuditLog(t.db, keyring, { purgeLockTimeoutMs: 300 });
    const oldMonth = store.monthPartition(new Date(Date.now() - 410 * DAY)).name;
    await t.db.connection().execute(async (reader) => {
      await sql`begin isolation level repeatable read`.execute(reader);
      await sql`select count(*) from audit_log`.execute(reader); // a verify or an export in progress
      try {
        expect(await patient.purgeExpired(365)).toEqual({ deleted: 0, throughSeq: null, droppedPartitions: [], postponed: true });
        expect(await partitions()).toContain(oldMonth); // rolled back whole: nothing dropped, no purge record
        expect(await patient.head()).toMatchObject({ seq: 15 });
      } finally {
        await sql`rollback`.execute(reader);
      }
    });
  });

  it('drops the expired monthly partition, deletes expired rows of the default one, and the chain and old checkpoints still verify', async () => {
    const oldMonth = store.monthPartition(new Date(Date.now() - 410 * DAY)).name;
    expect(await partitions()).toContain(oldMonth);
    const atTen = { seq: 10, hash: (await store.hashAt(t.db, 10))! };
    const cpTen = signer.sign(atTen, new Date());
    const cpFive = signer.sign({ seq: 5, hash: (await store.hashAt(t.db, 5))! }, new Date());
    const cpHead = signer.sign(await audit.head(), new Date());
    expect(await audit.verify()).toEqual({ ok: true, records: 15 });

    const r = await audit.purgeExpired(365, { actor: 'system:retention' });
    expect(r).toEqual({ deleted: 10, throughSeq: 10, droppedPartitions: [oldMonth] });
    expect(await partitions()).not.toContain(oldMonth);
    const left = await sql<{ seq: number }>`select seq from audit_log order by seq`.execute(t.db);
    expect(left.rows.map((x) => Number(x.seq))).toEqual([11, 12, 13, 14, 15, 16]);
    // next months' partitions were created ahead
    const next = new Date();
    next.setUTCDate(1);
    next.setUTCMonth(next.getUTCMonth() + 3);
    expect(await partitions()).toContain(store.monthPartition(next).name);

    expect(await audit.verify()).toEqual({ ok: true, records: 6 });
    for (const cp of [cpTen, cpFive, cpHead]) expect(await audit.verifyReaches(cp)).toMatchObject({ ok: true });
    expect(await audit.verifyReaches(cpTen)).toMatchObject({ purged: true });
    // a checkpoint at the anchor's seq with another hash is a rewound chain, purge or not
    expect(await audit.verifyReaches({ ...atTen, hash: 'ff'.repeat(32) })).toMatchObject({ ok: false, reason: 'rewound' });
    // nothing more to purge
    expect(await audit.purgeExpired(365)).toMatchObject({ deleted: 0, throughSeq: null });
    await expect(audit.purgeExpired(183)).rejects.toThrow(/184/);
  });
});

describe('the periodic checkpoint task', () => {
  it('writes checkpoint-<seq>.json into AUDIT_CHECKPOINT_DIR every interval, signed with AUDIT_CHECKPOINT_KEY', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-cp-task-'));
    const key = crypto.createHash('sha256').update('checkpoint-key').digest('hex');
    const server = await startTestServer({ AUDIT_CHECKPOINT_DIR: dir, AUDIT_CHECKPOINT_INTERVAL_SECONDS: '1', AUDIT_CHECKPOINT_KEY: key });
    try {
      await server.app.audit.append({ event: 'keys.rotate', outcome: 'info', actor: 'cli' });
      const deadline = Date.now() + 10_000;
      while (checkpointFile(dir) === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const file = checkpointFile(dir);
      expect(file).toMatch(/checkpoint-\d+\.json$/);
      expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]); // written by link, the temp file removed
      const cp = parseCheckpoint(fs.readFileSync(file!, 'utf8'))!;
      const signer = new CheckpointSigner(key);
      expect(cp.key_id).toBe(signer.keyId);
      expect(checkSignature(cp, signer.publicKey)).toBeNull();
      expect(await server.app.audit.verifyReaches(cp)).toMatchObject({ ok: true });
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
