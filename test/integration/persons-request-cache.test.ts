// A person read by sub is read once per protocol request, never across requests, never inside a
// transaction, and a write through the store is seen by the same request's next read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { personStore } from '../../src/accounts/store.ts';
import { inRequestScope } from '../../src/http/request-scope.ts';

describe('persons by sub within one request', () => {
  let t: TestDb;
  const id = crypto.randomUUID();
  const sub = `sub-${crypto.randomBytes(4).toString('hex')}`;
  // another process's write: not through this process's store
  const renameElsewhere = (name: string) => sql`update persons set name = ${name} where id = ${id}`.execute(t.db);

  beforeAll(async () => {
    t = await createTestDb();
    await sql`insert into persons (id, sub, id_type, name) values (${id}, ${sub}, 'resident_id', '张三')`.execute(t.db);
  });
  afterAll(() => t?.drop());

  it('reads once per request; the next request reads again', async () => {
    await inRequestScope(async () => {
      expect((await personStore.bySub(t.db, sub))?.name).toBe('张三');
      await renameElsewhere('李四');
      expect((await personStore.bySub(t.db, sub))?.name).toBe('张三');
    });
    await inRequestScope(async () => expect((await personStore.bySub(t.db, sub))?.name).toBe('李四'));
  });

  it('sees its own write through the store, reads afresh inside a transaction, and hands out copies', async () => {
    await inRequestScope(async () => {
      const first = (await personStore.bySub(t.db, sub))!;
      first.name = 'mutated by a caller';
      expect((await personStore.bySub(t.db, sub))?.name).toBe('李四');
      await personStore.update(t.db, id, { name: '王五' });
      expect((await personStore.bySub(t.db, sub))?.name).toBe('王五');
      await renameElsewhere('赵六');
      expect(await t.db.transaction().execute(async (trx) => (await personStore.bySub(trx, sub))?.name)).toBe('赵六');
    });
  });

  it('outside a request every read goes to the database', async () => {
    await renameElsewhere('孙七');
    expect((await personStore.bySub(t.db, sub))?.name).toBe('孙七');
    await renameElsewhere('周八');
    expect((await personStore.bySub(t.db, sub))?.name).toBe('周八');
  });
});
