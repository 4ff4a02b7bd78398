// The audit chains on a real database (PGlite, or PostgreSQL when DATABASE_URL is set): each
// process's appends are serialised into its own chain, and verify finds modified, deleted and
// truncated records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { AuditLog, AuditRetentionError, PURGE_EVENT } from '../../src/audit/service.ts';
import { GENESIS_HASH, chainHash } from '../../src/audit/chain.ts';
import type { AuditRow } from '../../src/audit/store.ts';

const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
const DAY = 86_400_000;

type RawRow = Omit<AuditRow, "prev_seq"> & { prev_seq?: number | null };

async function rawRow(t: TestDb, seq: number): Promise<RawRow> {
  const r = await sql<RawRow>`select * from audit_log where seq = ${seq}`.execute(t.db);
  const row = r.rows[0];
  return { ...row, seq: Number(row.seq), at: new Date(row.at) };
}

async function reinsert(t: TestDb, row: RawRow): Promise<void> {
  await sql`insert into audit_log (seq, at, actor, event, outcome, client_id, ip, detail, prev_hash, hash, key_id, chain, prev_seq)
            values (${row.seq}, ${row.at}, ${row.actor}, ${row.event}, ${row.outcome}, ${row.client_id}, ${row.ip},
                    ${JSON.stringify(row.detail)}::jsonb, ${row.prev_hash}, ${row.hash}, ${row.key_id}, ${row.chain ?? 1}, ${row.prev_seq ?? null})`.execute(t.db);
}

async function seqs(t: TestDb): Promise<number[]> {
  const r = await sql<{ seq: number }>`select seq from audit_log order by seq`.execute(t.db);
  return r.rows.map((x) => Number(x.seq));
}

describe('audit chain', () => {
  let t: TestDb;
  let audit: AuditLog;

  beforeAll(async () => {
    t = await createTestDb();
    // a small page size, so that verification crosses many page boundaries
    audit = new AuditLog(t.db, keyring, { verifyPageSize: 7 });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('verifies an empty chain', async () => {
    expect(await audit.verify()).toEqual({ ok: true, records: 0 });
  });

  it('appends records that verify and can be listed', async () => {
    await audit.append({ event: 'login.success', outcome: 'success', actor: 'sub-1', clientId: 'app-1', ip: '10.0.0.1', detail: { amr: ['pwd'], acr: 'urn:yitong:loa:2' } });
    await audit.append({ event: 'login.failure', outcome: 'failure', ip: '10.0.0.2', detail: { reason: 'bad_credentials', nested: { z: 1, a: [true, null, 0.1] } } });
    await audit.append({ event: 'keys.rotate', outcome: 'info', actor: 'cli' });
    expect(await audit.verify()).toEqual({ ok: true, records: 3 });

    const listed = await audit.list({});
    expect(listed.map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(listed[2]).toMatchObject({ event: 'login.success', outcome: 'success', actor: 'sub-1', clientId: 'app-1', ip: '10.0.0.1', detail: { amr: ['pwd'], acr: 'urn:yitong:loa:2' } });
    expect(listed[2].prevHash).toBe(GENESIS_HASH);
    expect(listed[1].prevHash).toBe(listed[2].hash);
    expect(listed[0].at).toBeInstanceOf(Date);
    expect(Math.abs(listed[0].at.getTime() - Date.now())).toBeLessThan(60_000);
    expect((await audit.list({ event: 'login.failure' })).map((r) => r.seq)).toEqual([2]);
    expect((await audit.list({ limit: 1 })).map((r) => r.seq)).toEqual([3]);
    expect(await audit.list({ since: new Date(Date.now() + 3_600_000) })).toEqual([]);
  });

  it('rejects malformed events instead of writing them', async () => {
    await expect(audit.append({ event: '' as never, outcome: 'success' })).rejects.toThrow(TypeError);
    await expect(audit.append({ event: 'login.success', outcome: 'maybe' as 'success' })).rejects.toThrow(TypeError);
    expect(await audit.verify()).toEqual({ ok: true, records: 3 });
  });

  it('masks ID and mobile numbers in detail, actor and client before writing', async () => {
    await audit.append({
      event: 'person.enable',
      outcome: 'success',
      actor: '11010519491231002X',
      detail: { note: '用户 11010519491231002X 手机 13812348000 修改', phone: '+86 138 1234 8000', list: ['440524188001010014'], password: 'hunter2', n: 13812348000 },
    });
    const [r] = await audit.list({ limit: 1 });
    expect(r.actor).toBe('110105********002X');
    expect(r.detail).toEqual({ note: '用户 110105********002X 手机 138****8000 修改', phone: '138****8000', list: ['440524********0014'], password: '[redacted]', n: '138****8000' });
    expect(JSON.stringify(r)).not.toMatch(/13812348000|11010519491231002X/);
    expect(await audit.verify()).toEqual({ ok: true, records: 4 });
  });

  it('serialises 50 parallel appends into one gapless chain', async () => {
    const before = (await audit.list({ limit: 1 }))[0].seq;
    await Promise.all(Array.from({ length: 50 }, (_, i) => audit.append({ event: 'token.issue', outcome: 'success', clientId: `app-${i}`, detail: { i } })));
    const all = await seqs(t);
    expect(all).toEqual(Array.from({ length: before + 50 }, (_, i) => i + 1));
    expect(await audit.verify()).toEqual({ ok: true, records: before + 50 });
  });

  it('appends from several server nodes (separate pools) go to a chain each, and every chain verifies', async () => {
    if (!t.url) return; // PGlite is one process; PostgreSQL only
    const t2 = await createTestDb(); // a database of its own: the tests below count on one chain
    const other = await openDatabase({ databaseUrl: t2.url, dataDir: t2.dataDir }, { poolSize: 5 });
    try {
      const [nodeA, nodeB] = [new AuditLog(t2.db, keyring), new AuditLog(other.db, keyring)];
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? nodeB : nodeA).append({ event: 'token.issue', outcome: 'success', detail: { node: i % 2 ? 'b' : 'a', i } })),
      );
      expect(await seqs(t2)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      const { rows } = await sql<{ chain: number; node: string; n: string }>`select chain, detail->>'node' as node, count(*) as n from audit_log group by 1, 2 order by 1`.execute(t2.db);
      expect(rows.map((r) => [Number(r.chain), r.node, Number(r.n)])).toEqual([[1, 'a', 20], [2, 'b', 20]]);
      expect(await nodeB.verify()).toEqual({ ok: true, records: 40 });
      // B stopped: its chain is free for the next process, which appends to it instead of starting a third
      await nodeB.release();
      const nodeC = new AuditLog(other.db, keyring);
      await nodeC.append({ event: 'token.issue', outcome: 'success', detail: { node: 'c' } });
      const heads = await sql<{ chain: number }>`select chain from audit_head order by chain`.execute(t2.db);
      expect(heads.rows.map((r) => Number(r.chain))).toEqual([1, 2]);
      expect(await nodeA.verify()).toEqual({ ok: true, records: 41 });
      // a record deleted from the middle of B's chain is found although A's chain is whole
      const bSeq = Number((await sql<{ seq: string }>`select seq from audit_log where chain = 2 order by seq offset 5 limit 1`.execute(t2.db)).rows[0].seq);
      await sql`delete from audit_log where seq = ${bSeq}`.execute(t2.db);
      expect(await nodeA.verify()).toMatchObject({ ok: false, firstBad: { seq: bSeq, reason: 'missing' } });
    } finally {
      await other.close();
      await t2.drop();
    }
  });

  it('writes inside a caller transaction: committed with it, or rolled back with it', async () => {
    const before = (await audit.list({ limit: 1 }))[0].seq;
    await t.db.transaction().execute(async (trx) => {
      await sql`insert into meta (key, value) values ('audit-test', 'x')`.execute(trx);
      await audit.append({ event: 'client.create', outcome: 'success', actor: 'cli', detail: { client: 'c1' } }, trx);
    });
    await expect(
      t.db.transaction().execute(async (trx) => {
        await sql`insert into meta (key, value) values ('audit-test-2', 'y')`.execute(trx);
        await audit.append({ event: 'client.create', outcome: 'success', actor: 'cli', detail: { client: 'c2' } }, trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const last = await audit.list({ limit: 2 });
    expect(last[0]).toMatchObject({ seq: before + 1, detail: { client: 'c1' } });
    expect(await audit.verify()).toEqual({ ok: true, records: before + 1 });
  });

  it('reports a modified row by its seq (and recovers when it is put back)', async () => {
    const n = (await seqs(t)).length;
    const target = 5;
    const original = await rawRow(t, target);
    await sql`update audit_log set detail = ${JSON.stringify({ ...original.detail, forged: true })}::jsonb where seq = ${target}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: false, records: target - 1, firstBad: { seq: target, reason: 'hash_mismatch' } });
    await sql`update audit_log set detail = ${JSON.stringify(original.detail)}::jsonb where seq = ${target}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: true, records: n });

    for (const change of [sql`update audit_log set outcome = 'success' where seq = 2`, sql`update audit_log set at = at - interval '1 second' where seq = 2`, sql`update audit_log set ip = '10.9.9.9' where seq = 2`]) {
      const row = await rawRow(t, 2);
      await change.execute(t.db);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 2, reason: 'hash_mismatch' } });
      await sql`delete from audit_log where seq = 2`.execute(t.db);
      await reinsert(t, row);
      expect(await audit.verify()).toEqual({ ok: true, records: n });
    }
  });

  it('reports a deleted middle row as missing', async () => {
    const n = (await seqs(t)).length;
    const target = 20;
    const row = await rawRow(t, target);
    await sql`delete from audit_log where seq = ${target}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: false, records: target - 1, firstBad: { seq: target, reason: 'missing' } });
    await reinsert(t, row);
    expect(await audit.verify()).toEqual({ ok: true, records: n });
  });

  it('reports a row moved to a gap or a forged hash link', async () => {
    const n = (await seqs(t)).length;
    const a = await rawRow(t, 10);
    const b = await rawRow(t, 11);
    // swap the prev_hash link of row 11 for row 10's: the row's own MAC no longer matches
    await sql`update audit_log set prev_hash = ${a.prev_hash} where seq = 11`.execute(t.db);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 11, reason: 'hash_mismatch' } });
    await sql`update audit_log set prev_hash = ${b.prev_hash} where seq = 11`.execute(t.db);
    // a validly MACed row whose link does not match its predecessor: row 10 replaced by a record
    // MACed over a different predecessor (as if spliced in from another copy of the chain)
    const forgedPrev = 'f'.repeat(64);
    const forged = { ...a, prev_hash: forgedPrev, hash: chainHash(keyring, forgedPrev, a) };
    await sql`delete from audit_log where seq = 10`.execute(t.db);
    await reinsert(t, forged);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: 10, reason: 'prev_mismatch' } });
    await sql`delete from audit_log where seq = 10`.execute(t.db);
    await reinsert(t, a);
    expect(await audit.verify()).toEqual({ ok: true, records: n });
  });

  it('reports deleted newest rows through the head', async () => {
    const all = await seqs(t);
    const n = all.length;
    const last = await rawRow(t, n);
    const prior = await rawRow(t, n - 1);
    await sql`delete from audit_log where seq = ${n}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: false, records: n - 1, firstBad: { seq: n, reason: 'head_mismatch' } });
    await sql`delete from audit_log where seq = ${n - 1}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: false, records: n - 2, firstBad: { seq: n - 1, reason: 'head_mismatch' } });
    await reinsert(t, prior);
    await reinsert(t, last);
    expect(await audit.verify()).toEqual({ ok: true, records: n });

    // a head rewound by someone without the key is caught too
    await sql`update audit_head set hash = ${prior.hash} where id = 1`.execute(t.db);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: n, reason: 'head_mismatch' } });
    await sql`update audit_head set hash = ${last.hash} where id = 1`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: true, records: n });
  });

  it('detects a record MACed with another key', async () => {
    const n = (await seqs(t)).length;
    const other = new Audit2(t);
    await other.appendForeign(); // another process: a chain of its own
    const { rows } = await sql<{ seq: string; chain: number }>`select seq, chain from audit_log where actor = 'forged'`.execute(t.db);
    const [seq, chain] = [Number(rows[0].seq), Number(rows[0].chain)];
    expect(chain).not.toBe(1);
    const r = await audit.verify();
    // the record names its (foreign) key id: this node holds no such key
    expect(r).toMatchObject({ ok: false, firstBad: { seq, reason: 'unknown_key' } });
    // claiming our key id does not help: the MAC does not match
    await sql`update audit_log set key_id = ${keyring.auditKeyId} where seq = ${seq}`.execute(t.db);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq, reason: 'hash_mismatch' } });
    await sql`delete from audit_log where seq = ${seq}`.execute(t.db);
    // its chain's head still names it
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { reason: 'head_mismatch' } });
    await sql`delete from audit_head where chain = ${chain}`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: true, records: n });
  });

  it('refuses to purge records younger than 184 days', async () => {
    const n = (await seqs(t)).length;
    await expect(audit.purgeBefore(new Date())).rejects.toThrow(AuditRetentionError);
    await expect(audit.purgeBefore(new Date(Date.now() - 183 * DAY))).rejects.toThrow(AuditRetentionError);
    await expect(audit.purgeBefore(new Date('not a date'))).rejects.toThrow(AuditRetentionError);
    // nothing this old: a no-op that writes nothing
    expect(await audit.purgeBefore(new Date(Date.now() - 185 * DAY))).toMatchObject({ deleted: 0, throughSeq: null });
    expect(await seqs(t)).toHaveLength(n);
  });
});

// Appends one record MACed with a different master key (someone with database access but not the
// key trying to add a record).
class Audit2 {
  readonly #log: AuditLog;
  constructor(t: TestDb) {
    this.#log = new AuditLog(t.db, new Keyring(Buffer.alloc(32, 7)));
  }
  appendForeign() {
    return this.#log.append({ event: 'login.success', outcome: 'success', actor: 'forged' });
  }
}

describe('audit retention', () => {
  let t: TestDb;
  let audit: AuditLog;

  // A chain whose first records are 200 days old: written here with the real MAC, as the service
  // would have written them then (the service always stamps records with the current time).
  async function seedOldRecords(count: number, ageDays: number): Promise<void> {
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= count; seq++) {
      const row = { seq, at: new Date(Date.now() - ageDays * DAY + seq * 1000), actor: 'sub-old', event: 'login.success', outcome: 'success', client_id: null, ip: '10.0.0.1', detail: { seq }, key_id: keyring.auditKeyId, chain: 1 };
      const hash = chainHash(keyring, prev, row);
      await reinsert(t, { ...row, prev_hash: prev, hash });
      prev = hash;
    }
    await sql`update audit_head set seq = ${count}, hash = ${prev} where id = 1`.execute(t.db);
  }

  beforeAll(async () => {
    t = await createTestDb();
    audit = new AuditLog(t.db, keyring, { verifyPageSize: 4 });
    await seedOldRecords(10, 200);
    for (let i = 0; i < 5; i++) await audit.append({ event: 'login.success', outcome: 'success', detail: { i } });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('purges old records, audits the purge, and the rest still verifies', async () => {
    expect(await audit.verify()).toEqual({ ok: true, records: 15 });
    const res = await audit.purgeBefore(new Date(Date.now() - 190 * DAY), { actor: 'cli' });
    expect(res).toMatchObject({ deleted: 10, throughSeq: 10 });
    expect(await seqs(t)).toEqual([11, 12, 13, 14, 15, 16]);
    const [purge] = await audit.list({ limit: 1 });
    expect(purge).toMatchObject({ seq: 16, event: PURGE_EVENT, outcome: 'success', actor: 'cli', detail: { through_seq: 10, from_seq: 1, deleted: 10 } });
    expect(await audit.verify()).toEqual({ ok: true, records: 6 });
    // purging again finds nothing more
    expect(await audit.purgeBefore(new Date(Date.now() - 190 * DAY))).toMatchObject({ deleted: 0, throughSeq: null });
  });

  it('still detects an unlogged deletion of the oldest remaining records', async () => {
    const row = await rawRow(t, 11);
    await sql`delete from audit_log where seq = 11`.execute(t.db);
    expect(await audit.verify()).toEqual({ ok: false, records: 0, firstBad: { seq: 11, reason: 'missing' } });
    await reinsert(t, row);
    expect(await audit.verify()).toEqual({ ok: true, records: 6 });
  });

  it('detects a deleted prefix on a chain that was never purged', async () => {
    const t2 = await createTestDb();
    try {
      const a2 = new AuditLog(t2.db, keyring);
      for (let i = 0; i < 4; i++) await a2.append({ event: 'login.success', outcome: 'success' });
      await sql`delete from audit_log where seq <= 2`.execute(t2.db);
      // the oldest kept record links to seq 2: gone, and no purge says so
      expect(await a2.verify()).toEqual({ ok: false, records: 0, firstBad: { seq: 2, reason: 'missing' } });
    } finally {
      await t2.drop();
    }
  });
});
