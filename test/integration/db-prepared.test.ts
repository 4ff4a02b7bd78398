// Named statements on a real PostgreSQL connection: they are prepared once per connection, and a
// plan a migration made stale costs one retry outside a transaction, never a wrong answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, type TestDb } from '../helpers/db.ts';

describe.skipIf(!process.env.DATABASE_URL)('named prepared statements (PostgreSQL)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb({ poolSize: 1 });
    await sql`create table prep_probe (id int primary key, v int not null)`.execute(t.db);
    await sql`insert into prep_probe values (1, 10), (2, 20)`.execute(t.db);
  });
  afterAll(() => t?.drop());

  const read = (id: number) => t.db.selectFrom('prep_probe' as never).select('v' as never).where('id' as never, '=', id as never).executeTakeFirst() as Promise<{ v: unknown } | undefined>;
  const prepared = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(t.db)).rows.map((r) => r.statement);

  it('prepares a recurring statement once on the connection and answers each call from it', async () => {
    expect(await read(1)).toEqual({ v: 10 });
    expect(await read(2)).toEqual({ v: 20 });
    expect(await read(1)).toEqual({ v: 10 });
    expect((await prepared()).filter((s) => s.includes('prep_probe'))).toHaveLength(1);
  });

  it('runs a statement again unnamed when a migration changed its result type', async () => {
    await sql`alter table prep_probe alter column v type text`.execute(t.db);
    expect(await read(2)).toEqual({ v: '20' });
    expect(await read(1)).toEqual({ v: '10' });
  });

  it('inside a transaction a stale plan fails that transaction only; the next one succeeds', async () => {
    const other = (id: number) => t.db.selectFrom('prep_probe' as never).select(['id' as never, 'v' as never]).where('id' as never, '=', id as never).executeTakeFirst() as Promise<unknown>;
    await other(1);
    await other(1);
    await sql`alter table prep_probe alter column id type bigint`.execute(t.db);
    await expect(t.db.transaction().execute(async (trx) => trx.selectFrom('prep_probe' as never).select(['id' as never, 'v' as never]).where('id' as never, '=', 1 as never).executeTakeFirst())).rejects.toMatchObject({ code: '0A000' });
    const after = await t.db.transaction().execute(async (trx) => trx.selectFrom('prep_probe' as never).select(['id' as never, 'v' as never]).where('id' as never, '=', 1 as never).executeTakeFirst());
    expect(after).toEqual({ id: 1, v: '10' });
  });

  it('runs a statement again unnamed when a migration changed the type of a column it compares a parameter with', async () => {
    await sql`create table prep_keyed (k text primary key, v int not null)`.execute(t.db);
    await sql`insert into prep_keyed values ('7', 70)`.execute(t.db);
    const byKey = (k: string) => t.db.selectFrom('prep_keyed' as never).select('v' as never).where('k' as never, '=', k as never).executeTakeFirst() as Promise<unknown>;
    await byKey('7');
    expect(await byKey('7')).toEqual({ v: 70 });
    // the parameter was typed text at the first parse; the column is now an integer
    await sql`alter table prep_keyed alter column k type int using k::int`.execute(t.db);
    expect(await byKey('7')).toEqual({ v: 70 });
  });

  it('runs a statement again unnamed when the server dropped its prepared statements', async () => {
    const third = (id: number) => t.db.selectFrom('prep_probe' as never).select(['v' as never, 'id' as never]).where('id' as never, '=', id as never).executeTakeFirst() as Promise<unknown>;
    await third(2);
    await third(2);
    expect((await prepared()).some((s) => s.includes('"v", "id"'))).toBe(true);
    await sql`deallocate all`.execute(t.db);
    expect(await third(2)).toEqual({ v: '20', id: 2 });
  });
});
