// Named prepared statements on PostgreSQL. Kysely sends every query unnamed, so PostgreSQL parses
// and plans it on every call: about half of a point query's CPU (bench/RESULTS.md). A text that
// recurs is given a name instead, and each connection parses it once.
import crypto from 'node:crypto';
import pg from 'pg';

/** Distinct texts named per process. Dynamic texts (IN lists of any length) stop there. */
const MAX_NAMED = 256;
/** Texts counted before naming; the count is cleared when full, so one-off texts cannot grow it. */
const MAX_SEEN = 4096;
/** A text is named the second time it is seen, so a one-off statement is never prepared. */
const NAME_AT = 2;
const DML = /^\s*(select|insert|update|delete|with)\b/i;
// `select *`, `"t".*`, `returning *`: their result type changes when a migration adds a column,
// and PostgreSQL then refuses the cached plan. Explicit column lists are safe.
const STAR = /(select|returning|,)\s*(?:"?\w+"?\.)?\*/i;

export class StatementNames {
  #seen = new Map<string, number>();
  #names = new Map<string, string>();
  #never = new Set<string>();

  nameFor(text: string): string | undefined {
    const name = this.#names.get(text);
    if (name || this.#never.has(text)) return name;
    if (this.#names.size >= MAX_NAMED || !DML.test(text) || STAR.test(text)) {
      this.#never.add(text);
      if (this.#never.size > MAX_SEEN) this.#never.clear();
      return undefined;
    }
    const seen = (this.#seen.get(text) ?? 0) + 1;
    if (seen < NAME_AT) {
      if (this.#seen.size >= MAX_SEEN) this.#seen.clear();
      this.#seen.set(text, seen);
      return undefined;
    }
    this.#seen.delete(text);
    // Named by the text's hash, so every process gives one text the same name: behind a pooler that
    // shares server connections a name can only mean this text (or be missing: a loud 26000).
    const fresh = `yitong_${crypto.createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    this.#names.set(text, fresh);
    return fresh;
  }

  /** The statement failed as prepared (see `stale`): run it unnamed from now on. */
  forget(text: string): void {
    this.#names.delete(text);
    this.#never.add(text);
  }
}

// Errors a statement may give as prepared and not unnamed, all raised before it executes (so running
// it again cannot apply a write twice): 0A000 "cached plan must not change result type"; 26000 the
// server no longer has it (a pooler, DISCARD ALL); class 42 its parameter types fixed at the first
// parse no longer fit a column a migration changed, or 42P05 the name is taken on a pooled connection.
// Codes, not messages: the server may speak Chinese (lc_messages).
const stale = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code === '0A000' || code === '26000' || code.startsWith('42'));
};

/** A pg Client that names recurring statements. Inside a transaction a stale plan fails the transaction
 *  (it is aborted already); outside one the statement is run again unnamed. */
export function namingClient(names: StatementNames): typeof pg.Client {
  return class NamingClient extends pg.Client {
    #inTransaction = false;

    // pg's overloads cannot be restated in a subclass; kysely calls query(text, values).
    override query(...args: unknown[]): never {
      const [text, values] = args;
      if (typeof text === 'string' && Array.isArray(values) && args.length === 2) {
        this.#track(text);
        const name = names.nameFor(text);
        if (name) return this.#named(name, text, values) as never;
      }
      return (super.query as (...a: unknown[]) => never)(...args);
    }

    async #named(name: string, text: string, values: unknown[]): Promise<pg.QueryResult> {
      try {
        return await super.query({ name, text, values });
      } catch (err) {
        if (!stale(err)) throw err;
        names.forget(text);
        if (this.#inTransaction) throw err;
        return super.query(text, values);
      }
    }

    #track(text: string): void {
      if (/^\s*(begin|start transaction)\b/i.test(text)) this.#inTransaction = true;
      else if (/^\s*(commit|rollback|end|abort)\s*;?\s*$/i.test(text)) this.#inTransaction = false;
    }
  };
}
