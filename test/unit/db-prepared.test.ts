// Which statements get a name: recurring DML with an explicit result shape, up to a bound.
import { describe, expect, it } from 'vitest';
import { StatementNames } from '../../src/db/prepared.ts';

describe('StatementNames', () => {
  it('names a statement the second time it is seen, and keeps that name', () => {
    const names = new StatementNames();
    const text = 'select "payload" from "oidc_payloads" where "id" = $1';
    expect(names.nameFor(text)).toBeUndefined();
    const name = names.nameFor(text);
    expect(name).toMatch(/^yitong_[0-9a-f]{32}$/);
    expect(names.nameFor(text)).toBe(name);
    expect(names.nameFor('update "t" set "a" = $1')).toBeUndefined();
    expect(names.nameFor('update "t" set "a" = $1')).not.toBe(name);
  });

  it('gives a text the same name in every process, so a pooled server connection cannot mistake one statement for another', () => {
    const [a, b] = [new StatementNames(), new StatementNames()];
    const text = 'select "v" from "t" where "k" = $1';
    a.nameFor(text);
    b.nameFor('select "w" from "t" where "k" = $1');
    b.nameFor('select "w" from "t" where "k" = $1');
    b.nameFor(text);
    expect(a.nameFor(text)).toBe(b.nameFor(text));
    expect(b.nameFor('select "w" from "t" where "k" = $1')).not.toBe(a.nameFor(text));
  });

  it('never names a statement whose result columns a migration could change, nor DDL or transaction control', () => {
    const names = new StatementNames();
    for (const text of ['select * from "persons" where "id" = $1', 'select "p".* from "persons" as "p"', 'insert into "t" ("a") values ($1) returning *', 'select "a", * from "t"', 'begin', 'create index x on t (a)', 'lock table t']) {
      names.nameFor(text);
      expect(names.nameFor(text), text).toBeUndefined();
    }
    const count = 'select count(*) as "n" from "persons"';
    names.nameFor(count);
    expect(names.nameFor(count)).toBeDefined();
  });

  it('stops naming at its bound, and a forgotten statement is run unnamed from then on', () => {
    const names = new StatementNames();
    const named = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const text = `select "a" from "t" where "id" in (${Array.from({ length: i + 1 }, (_, k) => `$${k + 1}`).join(', ')})`;
      names.nameFor(text);
      const name = names.nameFor(text);
      if (name) named.add(name);
    }
    expect(named.size).toBe(256);
    const text = 'select "a" from "t" where "id" in ($1)';
    expect(names.nameFor(text)).toBeDefined();
    names.forget(text);
    expect(names.nameFor(text)).toBeUndefined();
    expect(names.nameFor(text)).toBeUndefined();
  });
});
