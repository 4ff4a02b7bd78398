// Re-sealing on a real database: intl -> gm interrupted after a committed batch (what kill -9
// leaves) and resumed, persons found by ID number and phone meanwhile and after, nodes with the old
// settings refused; then gm -> intl, and a master-key rotation whose old audit key stays usable.
// Also: no table holds a sealed value in a column the registry (src/crypto/sealed-columns.ts) misses.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { AAD as PERSON_AAD } from '../../src/accounts/person.ts';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import * as auditStore from '../../src/audit/store.ts';
import { chainHash } from '../../src/audit/chain.ts';
import { loadConfig } from '../../src/config/env.ts';
import type { AppContext } from '../../src/context.ts';
import { createPerson, findPersonByIdentifier } from '../../src/accounts/service.ts';
import { ensureSigningKeys, loadJwks } from '../../src/oidc/keys.ts';
import { generateRecoveryCodes, useRecoveryCode } from '../../src/mfa/recovery.ts';
import { findPersonBySub } from '../../src/accounts/service.ts';
import { ResealUnsettledError, runReseal } from '../../src/crypto/reseal.ts';
import { resealStore } from '../../src/crypto/reseal-store.ts';
import { SEALED_TABLES } from '../../src/crypto/sealed-columns.ts';
import { checkCrypto, readReseal, ResealInProgressError, WrongCryptoSuiteError, WrongMasterKeyError } from '../../src/crypto/startup.ts';

const MASTER = parseMasterKey(TEST_MASTER_KEY);
const NEW_MASTER = Buffer.alloc(32, 42);
let t: TestDb;
const people: { id: string; sub: string; idNumber: string; phone: string; email: string }[] = [];
let recoveryCodes: string[] = [];

function idNumber(seq: number): string {
  const body = `11010519900101${String(seq).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}

const ctx = (keyring: Keyring): AppContext => ({ config: loadConfig({ NODE_ENV: 'test' }), db: t.db, keyring, audit: new AuditLog(t.db, keyring) });

/** a node starting with these settings: passes the startup check, and finds every person */
async function nodeFindsEveryone(keyring: Keyring) {
  await checkCrypto(t.db, keyring);
  for (const p of people) {
    for (const ident of [p.idNumber, p.phone]) {
      const found = await findPersonByIdentifier(ctx(keyring), ident);
      expect(found?.id, ident).toBe(p.id);
      expect(found?.email).toBe(p.email);
    }
  }
  expect((await loadJwks(ctx(keyring))).keys.length).toBeGreaterThan(0);
}

async function forms(table: string, column: string) {
  return resealStore.countForms(t.db, table, column);
}

beforeAll(async () => {
  t = await createTestDb({ poolSize: 4 });
  const intl = new Keyring(MASTER);
  await checkCrypto(t.db, intl);
  const app = ctx(intl);
  for (let i = 1; i <= 7; i++) {
    const p = { idNumber: idNumber(i), phone: `1390000${String(i).padStart(4, '0')}`, email: `p${i}@example.gov.cn` };
    const person = await createPerson(app, { ...p, name: `测试${i}`, phoneVerified: true }, 'test');
    people.push({ id: person.id, sub: person.sub, ...p });
  }
  const first = (await findPersonBySub(app, people[0].sub))!;
  recoveryCodes = await t.db.transaction().execute((trx) => generateRecoveryCodes(app, trx, first, 'test'));
  await ensureSigningKeys(app);
  await app.audit.drain();
});
afterAll(async () => {
  await t?.drop();
});

describe('crypto reseal', () => {
  it('intl -> gm: killed after a committed batch, nodes keep finding persons, resumed to the end', async () => {
    let batches = 0;
    const interrupted = runReseal(t.db, new Keyring(MASTER, { suite: 'gm' }), {
      batchSize: 3,
      onBatch: () => {
        if (++batches === 2) throw new Error('killed'); // the second batch is committed, then the process "dies"
      },
    });
    await expect(interrupted).rejects.toThrow('killed');
    const half = await forms('persons', 'id_number_enc');
    expect(half.g1).toBe(6);
    expect(half.v1).toBe(1);
    // nodes: the target settings start and read both forms; the old ones are refused
    await nodeFindsEveryone(new Keyring(MASTER, { suite: 'gm' }));
    await expect(checkCrypto(t.db, new Keyring(MASTER))).rejects.toThrow(ResealInProgressError);

    const r = await runReseal(t.db, new Keyring(MASTER, { suite: 'gm' }), { batchSize: 3 });
    expect(r.alreadyDone).toBe(false);
    for (const table of SEALED_TABLES) for (const c of table.sealed) expect((await forms(table.table, c.column)).v1, `${table.table}.${c.column}`).toBe(0);
    const fresh = new Keyring(MASTER, { suite: 'gm' });
    await nodeFindsEveryone(fresh);
    expect(fresh.resealing).toBe(false); // no reseal left: one index per lookup again
    await expect(checkCrypto(t.db, new Keyring(MASTER))).rejects.toThrow(WrongCryptoSuiteError);
    expect((await runReseal(t.db, new Keyring(MASTER, { suite: 'gm' }))).alreadyDone).toBe(true);
    // recovery codes are keyed hashes of codes Yitong does not keep: they still match after the change
    const person = (await findPersonBySub(ctx(fresh), people[0].sub))!;
    expect(await useRecoveryCode(ctx(fresh), person, recoveryCodes[0])).toMatchObject({ ok: true });
    expect(await useRecoveryCode(ctx(fresh), person, recoveryCodes[0])).toMatchObject({ ok: false });
  });

  it('gm -> intl while a node on the old settings keeps writing: no row is left in the old form', async () => {
    const gm = new Keyring(MASTER, { suite: 'gm' });
    /** what a node still on gm does when a person changes their phone: the value sealed in gm form again */
    const oldNodeWrites = async (id: unknown) => {
      const row = await sql<{ phone_enc: string }>`select phone_enc from persons where id = ${id}`.execute(t.db);
      const sealed = gm.seal(gm.open(row.rows[0].phone_enc, PERSON_AAD.phone), PERSON_AAD.phone);
      await sql`update persons set phone_enc = ${sealed} where id = ${id}`.execute(t.db);
    };
    // 1. between a batch's read and its update (the guarded update matches nothing: the row is read again and redone)
    const realBatch = resealStore.batch.bind(resealStore);
    let raced = 0;
    const spy = vi.spyOn(resealStore, 'batch').mockImplementation(async (db, table, after, limit) => {
      const rows = await realBatch(db, table, after, limit);
      if (table.table === 'persons' && rows.length > 0 && raced < 2) {
        raced++;
        await oldNodeWrites(rows[0].id);
      }
      return rows;
    });
    const reread = vi.spyOn(resealStore, 'row');
    // 2. behind the walk, in a table already done: every batch of the next tables writes one, forever
    let behind = 0;
    const writeBehind = async (p: { table: string }) => {
      if (p.table !== 'persons') await oldNodeWrites(people[behind++ % people.length].id);
    };
    try {
      await expect(runReseal(t.db, new Keyring(MASTER), { batchSize: 4, onBatch: writeBehind })).rejects.toThrow(ResealUnsettledError);
      expect(raced).toBe(2);
      expect(reread).toHaveBeenCalledTimes(2); // each raced row read again and redone in its batch
      expect((await forms('persons', 'phone_enc')).g1).toBeGreaterThan(0);
      await expect(checkCrypto(t.db, new Keyring(MASTER))).resolves.toBeUndefined(); // still resealing: the target is not recorded
      expect(await readReseal(t.db)).toMatchObject({ to: { suite: 'intl' } });
      // the old node stopped: the next run settles and records the target
      await runReseal(t.db, new Keyring(MASTER), { batchSize: 4 });
    } finally {
      spy.mockRestore();
      reread.mockRestore();
    }
    expect(await readReseal(t.db)).toBeNull();
    for (const table of SEALED_TABLES) for (const c of table.sealed) expect((await forms(table.table, c.column)).g1, `${table.table}.${c.column}`).toBe(0);
    await nodeFindsEveryone(new Keyring(MASTER));
  });

  it('rotates the master key: both keys during the change, the new one alone after; old audit MACs still computable', async () => {
    const old = new Keyring(MASTER);
    const during = new Keyring(MASTER, { suite: 'gm', newMaster: NEW_MASTER });
    // a node still on the old settings that only logs people in (audit records under the old key, no
    // sealed writes) keeps the reseal from recording the target: its later records would not verify
    const oldNode = new AuditLog(t.db, old);
    const signIn = () => oldNode.append({ event: 'login.success', outcome: 'success', actor: 'sub-old-node' });
    await expect(runReseal(t.db, during, { batchSize: 5, onBatch: signIn })).rejects.toThrow(ResealUnsettledError);
    expect(await readReseal(t.db)).not.toBeNull();
    await runReseal(t.db, during, { batchSize: 5 });
    await expect(checkCrypto(t.db, new Keyring(MASTER, { suite: 'gm' }))).rejects.toThrow(WrongMasterKeyError);
    const after = new Keyring(NEW_MASTER, { suite: 'gm' });
    await nodeFindsEveryone(after); // loads the retired audit keys recorded by the reseal
    expect(after.auditMac('x', 'legacy')).toBe(old.auditMac('x'));
    expect(after.auditMac('x', old.auditKeyId)).toBe(old.auditMac('x'));
    // keyed hashes under the old key (legacy login names, recovery codes) still match
    expect(after.lastingIndexes('legacy_login', 'GA/zhangsan')).toContain(old.blindIndex('legacy_login', 'GA/zhangsan'));
    const person = (await findPersonBySub(ctx(after), people[0].sub))!;
    expect(await useRecoveryCode(ctx(after), person, recoveryCodes[1])).toMatchObject({ ok: true });
    // whoever still holds the old master key cannot append records under its audit key: it chained nothing after the reseal
    const audit = new AuditLog(t.db, after);
    expect(await audit.verify()).toMatchObject({ ok: true });
    const head = await auditStore.readHead(t.db);
    const forged = { seq: head.seq + 1, at: new Date(), actor: 'cli', event: 'keys.rotate', outcome: 'info', client_id: null, ip: null, detail: {}, key_id: old.auditKeyId };
    const hash = chainHash(old, head.hash, forged);
    await auditStore.insertRecords(t.db, [{ ...forged, prev_hash: head.hash, hash }]);
    await auditStore.updateHead(t.db, 1, forged.seq, hash);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBad: { seq: forged.seq, reason: 'unknown_key' } });
    await sql`delete from audit_log where seq = ${forged.seq}`.execute(t.db);
    await auditStore.updateHead(t.db, 1, head.seq, head.hash);
    // the bound is sealed: removed or altered, the old key vouches for nothing (its records no longer verify)
    const meta = await sql<{ value: string }>`select value from meta where key = 'audit_retired_keys'`.execute(t.db);
    const stripped = (JSON.parse(meta.rows[0].value) as { through?: string }[]).map(({ through: _, ...k }) => k);
    await sql`update meta set value = ${JSON.stringify(stripped)} where key = 'audit_retired_keys'`.execute(t.db);
    const tampered = new Keyring(NEW_MASTER, { suite: 'gm' });
    await checkCrypto(t.db, tampered);
    expect(await new AuditLog(t.db, tampered).verify()).toMatchObject({ ok: false, firstBad: { reason: 'unknown_key' } });
    await sql`update meta set value = ${meta.rows[0].value} where key = 'audit_retired_keys'`.execute(t.db);
    // and back to intl under the new key: the retired keys are carried over
    await runReseal(t.db, new Keyring(NEW_MASTER), { batchSize: 5 });
    const last = new Keyring(NEW_MASTER);
    await nodeFindsEveryone(last);
    expect(last.auditMac('x', 'legacy')).toBe(old.auditMac('x'));
    expect(last.lastingIndexes('legacy_login', 'GA/zhangsan')).toContain(old.blindIndex('legacy_login', 'GA/zhangsan'));
  });

  it('the registry lists every column that holds a sealed value', async () => {
    const listed = new Set(SEALED_TABLES.flatMap((x) => x.sealed.map((c) => `${x.table}.${c.column}`)));
    const holding: string[] = [];
    for (const c of await resealStore.textColumns(t.db)) {
      if (c.table === 'meta') continue; // retired audit keys: sealed JSON, rewritten by every reseal
      if (await resealStore.hasSealedValue(t.db, c.table, c.column)) holding.push(`${c.table}.${c.column}`);
    }
    expect(holding.length).toBeGreaterThan(3);
    expect(holding.filter((c) => !listed.has(c))).toEqual([]);
  });
});
