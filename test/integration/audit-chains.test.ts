// Several audit chains, one per appending process, on a real database (PGlite, or PostgreSQL when
// DATABASE_URL is set): checkpoints name every chain's head and catch a chain cut back even when
// the others are whole; a purge leaves an anchor per chain; a retired key is bounded per chain.
// (Two real processes appending at once: audit-two-processes.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog, PURGE_EVENT } from '../../src/audit/service.ts';
import { GENESIS_HASH, chainHash } from '../../src/audit/chain.ts';
import * as store from '../../src/audit/store.ts';
import { CheckpointSigner, checkSignature, parseCheckpoint } from '../../src/audit/checkpoint.ts';
import { checkpointIntoDir } from '../../src/audit/tasks.ts';
import fs from 'node:fs';
import os from 'node:os';

const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
const signer = CheckpointSigner.fromMasterKey(parseMasterKey(TEST_MASTER_KEY));
const DAY = 86_400_000;

async function append(audit: AuditLog, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) await audit.append({ event: 'login.success', outcome: 'success', actor: `sub-${tag}`, detail: { i } });
}

async function chainSeqs(t: TestDb, chain: number): Promise<number[]> {
  const r = await sql<{ seq: string }>`select seq from audit_log where chain = ${chain} order by seq`.execute(t.db);
  return r.rows.map((x) => Number(x.seq));
}

describe('checkpoints over several chains', () => {
  let t: TestDb;
  let a: AuditLog;
  let b: AuditLog;

  beforeAll(async () => {
    t = await createTestDb();
    [a, b] = [new AuditLog(t.db, keyring, { verifyPageSize: 3 }), new AuditLog(t.db, keyring)];
    for (let i = 0; i < 4; i++) {
      await append(a, 2, 'a');
      await append(b, 1, 'b');
    }
  });
  afterAll(() => t?.drop());

  it('interleaves two chains by seq, each linked through prev_seq, and verifies them together', async () => {
    expect(await chainSeqs(t, 1)).toEqual([1, 2, 4, 5, 7, 8, 10, 11]);
    expect(await chainSeqs(t, 2)).toEqual([3, 6, 9, 12]);
    const { rows } = await sql<{ seq: string; prev_seq: string }>`select seq, prev_seq from audit_log where chain = 2 order by seq`.execute(t.db);
    expect(rows.map((r) => Number(r.prev_seq))).toEqual([0, 3, 6, 9]);
    expect(await a.verify()).toEqual({ ok: true, records: 12 });
  });

  it('signs every head (v2), and the signature covers them', async () => {
    const head = await a.head();
    expect(head).toEqual({ seq: 12, hash: expect.any(String), heads: [{ chain: 1, seq: 11, hash: expect.any(String) }, { chain: 2, seq: 12, hash: head.hash }] });
    const cp = signer.sign(head, new Date());
    expect(cp).toMatchObject({ v: 2, seq: 12, heads: head.heads });
    const parsed = parseCheckpoint(JSON.stringify(cp))!;
    expect(checkSignature(parsed, signer.publicKey)).toBeNull();
    const altered = { ...parsed, heads: parsed.heads!.map((h) => (h.chain === 1 ? { ...h, seq: 8 } : h)) };
    expect(checkSignature(altered, signer.publicKey)).toBe('bad_signature');
    expect(parseCheckpoint(JSON.stringify({ ...cp, heads: undefined }))).toBeNull(); // v2 without heads
    expect(parseCheckpoint(JSON.stringify({ ...cp, heads: [{ chain: 1, seq: -1, hash: 'ab' }] }))).toBeNull();
    expect(await a.verifyReaches(cp)).toMatchObject({ ok: true, records: 12 });
  });

  it('catches one chain truncated while the other goes on, and a chain whose head row is gone', async () => {
    const cp = signer.sign(await a.head(), new Date());
    await append(a, 2, 'a'); // chain 1 moves on; the newest record overall is now chain 1's
    // chain 1 (not the newest in the checkpoint) cut back by its last two records before the checkpoint
    const [, , keep] = (await chainSeqs(t, 1)).reverse().slice(2);
    const saved = await sql`select * from audit_log where chain = 1 and seq > ${keep}`.execute(t.db);
    await sql`delete from audit_log where chain = 1 and seq > ${keep}`.execute(t.db);
    await sql`update audit_head set seq = ${keep}, hash = ${await store.hashAt(t.db, keep)} where chain = 1`.execute(t.db);
    expect(await a.verify()).toMatchObject({ ok: true }); // the chains alone cannot tell
    expect(await a.verifyReaches(cp)).toMatchObject({ ok: false, reason: 'truncated' });
    expect(await a.stillReaches(cp)).toBe('truncated');
    // put back
    for (const r of saved.rows as store.AuditRow[]) await store.insertRecords(t.db, [{ ...r, detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail }]);
    const last = await sql<{ seq: string; hash: string }>`select seq, hash from audit_log where chain = 1 order by seq desc limit 1`.execute(t.db);
    await store.updateHead(t.db, 1, Number(last.rows[0].seq), last.rows[0].hash);
    expect(await a.verifyReaches(cp)).toMatchObject({ ok: true });
    // chain 2 removed entirely, records and head: only the checkpoint still knows it
    const two = await sql`select * from audit_log where chain = 2`.execute(t.db);
    const head2 = await store.readHead(t.db, 2);
    await sql`delete from audit_log where chain = 2`.execute(t.db);
    await sql`delete from audit_head where chain = 2`.execute(t.db);
    expect(await a.verify()).toMatchObject({ ok: true });
    expect(await a.verifyReaches(cp)).toMatchObject({ ok: false, reason: 'truncated' });
    for (const r of two.rows as store.AuditRow[]) await store.insertRecords(t.db, [{ ...r, detail: typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail }]);
    await sql`insert into audit_head (id, chain, seq, hash) values (2, 2, ${head2.seq}, ${head2.hash})`.execute(t.db);
    expect(await a.verifyReaches(cp)).toMatchObject({ ok: true });
  });

  it('a chain copied under another number (a replay) fails: seqs repeat, and the MAC covers the chain', async () => {
    await sql`insert into audit_log (seq, at, actor, event, outcome, client_id, ip, detail, prev_hash, hash, key_id, chain, prev_seq)
      select seq, at, actor, event, outcome, client_id, ip, detail, prev_hash, hash, key_id, 7, prev_seq from audit_log where chain = 2`.execute(t.db);
    const head2 = await store.readHead(t.db, 2);
    await sql`insert into audit_head (id, chain, seq, hash) values (7, 7, ${head2.seq}, ${head2.hash})`.execute(t.db);
    const first2 = (await chainSeqs(t, 2))[0];
    expect(await a.verify()).toMatchObject({ ok: false, firstBad: { seq: first2 } });
    // renumbered alone (no duplicate seqs), the MAC still tells
    await sql`delete from audit_log where chain = 2`.execute(t.db);
    expect(await a.verify()).toMatchObject({ ok: false, firstBad: { seq: first2, reason: 'hash_mismatch' } });
    await sql`update audit_log set chain = 2 where chain = 7`.execute(t.db);
    await sql`delete from audit_head where chain = 7`.execute(t.db);
    expect(await a.verify()).toMatchObject({ ok: true });
  });

  it('a checkpoint for the same newest seq over other heads is no alarm while the chains reach it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-chains-'));
    try {
      await append(b, 1, 'b'); // chain 2 holds the newest record
      const head = await a.head();
      // signed while chain 1 still had its newest record to commit (seqs are drawn before commit)
      const earlier = (await chainSeqs(t, 1)).at(-2)!;
      const hash = (await store.hashAt(t.db, earlier, 1))!;
      const sign = (h1: { seq: number; hash: string }) => signer.sign({ ...head, heads: head.heads!.map((h) => (h.chain === 1 ? { chain: 1, ...h1 } : h)) }, new Date());
      const file = path.join(dir, `checkpoint-${head.seq}.json`);
      fs.writeFileSync(file, JSON.stringify(sign({ seq: earlier, hash })));
      expect(await checkpointIntoDir(t.db, a, signer, dir)).toBe('unchanged');
      // one the chains do not reach is: refused
      fs.writeFileSync(file, JSON.stringify(sign({ seq: earlier, hash: 'ab'.repeat(32) })));
      expect(await checkpointIntoDir(t.db, a, signer, dir)).toBe('refused');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the task writes v2 checkpoints and refuses once any chain is rewound', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-chains-'));
    try {
      expect(await checkpointIntoDir(t.db, a, signer, dir)).toBe('written');
      expect(await checkpointIntoDir(t.db, a, signer, dir)).toBe('unchanged');
      const [seqB] = (await chainSeqs(t, 2)).slice(-1);
      const prevB = (await chainSeqs(t, 2)).at(-2)!;
      // rewind chain 2: its newest record replaced by another (by a process holding the key)
      await sql`delete from audit_log where seq = ${seqB}`.execute(t.db);
      await sql`update audit_head set seq = ${prevB}, hash = ${await store.hashAt(t.db, prevB)}, holder = null where chain = 2`.execute(t.db);
      const c = new AuditLog(t.db, keyring);
      await append(c, 1, 'c');
      expect(await chainSeqs(t, 2)).not.toContain(seqB);
      expect(await a.verify()).toMatchObject({ ok: true });
      expect(await checkpointIntoDir(t.db, a, signer, dir)).toBe('refused');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retention over several chains', () => {
  let t: TestDb;
  let a: AuditLog;

  beforeAll(async () => {
    t = await createTestDb();
    a = new AuditLog(t.db, keyring, { verifyPageSize: 4 });
    // 200-day-old records of two chains, as two processes wrote them: odd seqs in chain 1, even in 2
    const prev = new Map([[1, { seq: 0, hash: GENESIS_HASH }], [2, { seq: 0, hash: GENESIS_HASH }]]);
    for (let seq = 1; seq <= 10; seq++) {
      const chain = seq % 2 ? 1 : 2;
      const p = prev.get(chain)!;
      const fields = { seq, at: new Date(Date.now() - 200 * DAY + seq * 1000), actor: 'sub-old', event: 'login.success', outcome: 'success', client_id: null, ip: null, detail: { seq }, key_id: keyring.auditKeyId, chain, prev_seq: p.seq };
      const hash = chainHash(keyring, p.hash, fields);
      await store.insertRecords(t.db, [{ ...fields, prev_hash: p.hash, hash }]);
      prev.set(chain, { seq, hash });
    }
    await store.updateHead(t.db, 1, 9, prev.get(1)!.hash);
    await sql`insert into audit_head (id, chain, seq, hash) values (2, 2, 10, ${prev.get(2)!.hash})`.execute(t.db);
    await append(a, 3, 'new'); // drawn past the seeded seqs, into chain 1
  });
  afterAll(() => t?.drop());

  it('purges across chains, anchors each, and a chain emptied by the purge still verifies', async () => {
    expect(await a.verify()).toEqual({ ok: true, records: 13 });
    const before = signer.sign(await a.head(), new Date());
    const r = await a.purgeBefore(new Date(Date.now() - 190 * DAY), { actor: 'cli' });
    expect(r).toMatchObject({ deleted: 10, throughSeq: 10 });
    const [purge] = await a.list({ limit: 1, event: PURGE_EVENT });
    expect(purge.detail).toMatchObject({ through_seq: 10, anchors: [{ chain: 1, seq: 9 }, { chain: 2, seq: 10 }] });
    expect(await a.verify()).toEqual({ ok: true, records: 4 });
    // a checkpoint from before the purge is reached through the anchors (chain 2 has no record left)
    expect(await a.verifyReaches(before)).toMatchObject({ ok: true, purged: true });
    expect(await a.stillReaches(before)).toBeNull();
    // chain 2 has nothing left to purge, but every later purge record still anchors it, so the
    // first one may expire in its turn
    await sql`update audit_log set at = at - interval '200 days' where event = 'login.success'`.execute(t.db);
    const r2 = await a.purgeBefore(new Date(Date.now() - 190 * DAY), { actor: 'cli' });
    expect(r2.deleted).toBe(3);
    const [purge2] = await a.list({ limit: 1, event: PURGE_EVENT });
    expect(purge2.detail).toMatchObject({ anchors: [{ chain: 1 }, { chain: 2, seq: 10 }] });
    expect(await a.verify()).toEqual({ ok: true, records: 2 });
    // chain 2's head moved without a record behind it: no anchor vouches for it
    await sql`update audit_head set seq = 8, hash = ${'ab'.repeat(32)} where chain = 2`.execute(t.db);
    expect(await a.verify()).toMatchObject({ ok: false, firstBad: { reason: 'head_mismatch' } });
  });
});

describe('a retired audit key is bounded per chain', () => {
  it('vouches for records up to each chain’s bound, none in chains it never saw', () => {
    const k = new Keyring(parseMasterKey(TEST_MASTER_KEY));
    k.boundAuditKey('old', new Map([[1, 20], [2, 7]]));
    expect([k.auditKeyThrough('old', 1), k.auditKeyThrough('old', 2), k.auditKeyThrough('old', 3)]).toEqual([20, 7, 0]);
    k.boundAuditKey('old', new Map([[1, 25], [2, 5]])); // the lower bound wins; chains missing from either get none
    expect([k.auditKeyThrough('old', 1), k.auditKeyThrough('old', 2)]).toEqual([20, 5]);
    expect(k.auditKeyThrough(k.auditKeyId, 1)).toBeUndefined();
  });
});

describe('one chain per process', () => {
  it('concurrent first appends, in callers’ transactions and group-committed, all go to one free chain', async () => {
    const t = await createTestDb();
    try {
      const event = (i: number) => ({ event: 'login.success', outcome: 'success', actor: 'sub-c', detail: { i } }) as const;
      // three chains left free by processes that ended
      const gone = [new AuditLog(t.db, keyring), new AuditLog(t.db, keyring), new AuditLog(t.db, keyring)];
      for (const [i, g] of gone.entries()) await g.append(event(100 + i));
      for (const g of gone) await g.release();
      const audit = new AuditLog(t.db, keyring);
      await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => t.db.transaction().execute((trx) => audit.append(event(i), trx))),
        ...Array.from({ length: 6 }, (_, i) => audit.append(event(10 + i))),
      ]);
      const { rows } = await sql<{ n: string }>`select count(*) as n from audit_log where actor = 'sub-c' and seq > 3 group by chain`.execute(t.db);
      expect(rows.map((r) => Number(r.n))).toEqual([12]);
      expect(await audit.verify()).toEqual({ ok: true, records: 15 });
    } finally {
      await t.drop();
    }
  });
});
