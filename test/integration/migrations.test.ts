// The migrations and the kysely table types agree. Every migration is applied to an empty
// database; the columns it ends up with (information_schema.columns) must be exactly those the
// Database interface (src/db/schema.ts and each domain's tables.ts) declares, with matching
// nullability and a type that fits the TypeScript one.
//
// TypeScript types are erased at runtime, so the declared columns are written out once below,
// and the compiler proves that list complete and correct: `satisfies DatabaseColumns` fails to
// typecheck when a table or column is missing from it, named there but not in the interface, or
// marked nullable (or not) against its select type. Adding a column therefore means: migration,
// tables.ts, and a line here; `npm run typecheck` and this test say what was forgotten.
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type SelectType } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, TEST_MASTER_KEY, type TestDb } from '../helpers/db.ts';
import { Keyring, parseMasterKey } from '../../src/crypto/keyring.ts';
import { AuditLog } from '../../src/audit/service.ts';
import { GENESIS_HASH, chainHash } from '../../src/audit/chain.ts';
import * as store from '../../src/audit/store.ts';
import { loadRetiredAuditKeys } from '../../src/crypto/startup.ts';
import { migrations } from '../../migrations/index.ts';
import type { Database } from '../../src/db/schema.ts';

// ---- what the interfaces declare, checked by the compiler ----------------------------------

/** PostgreSQL types (information_schema udt_name) that can hold a column's TypeScript type. */
type PgTypeOf<S> = [S] extends [boolean]
  ? 'bool'
  : [S] extends [Date]
    ? 'timestamptz'
    : [S] extends [number]
      ? 'int2' | 'int4' | 'int8'
      : [S] extends [string]
        ? 'text' | 'uuid'
        : [S] extends [object]
          ? 'jsonb'
          : never;

/** `'text'` for a NOT NULL column, `'text null'` for a nullable one (null in its select type). */
type ColumnSpec<C> = null extends SelectType<C> ? `${PgTypeOf<NonNullable<SelectType<C>>>} null` : PgTypeOf<SelectType<C>>;

type TableColumns<T> = { [K in keyof T]-?: ColumnSpec<T[K]> };
type DatabaseColumns = { [T in keyof Database]-?: TableColumns<Database[T]> };

const DECLARED = {
  meta: { key: 'text', value: 'text' },
  departments: { code: 'text', name: 'text', created_at: 'timestamptz' },
  persons: {
    id: 'uuid',
    sub: 'text',
    id_type: 'text',
    id_number_enc: 'text null',
    id_number_bidx: 'text null',
    name: 'text',
    phone_enc: 'text null',
    phone_bidx: 'text null',
    phone_verified: 'bool',
    email_enc: 'text null',
    email_bidx: 'text null',
    email_verified: 'bool',
    password_hash: 'text null',
    password_changed_at: 'timestamptz null',
    real_name_level: 'int2',
    status: 'text',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  clients: {
    client_id: 'text',
    name: 'text',
    department_code: 'text null',
    first_party: 'bool',
    metadata: 'jsonb',
    secret_enc: 'text null',
    status: 'text',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  oidc_payloads: {
    model: 'text',
    id: 'text',
    payload: 'jsonb',
    grant_id: 'text null',
    uid: 'text null',
    user_code: 'text null',
    account_id: 'text null',
    client_id: 'text null',
    expires_at: 'timestamptz null',
    consumed_at: 'timestamptz null',
  },
  logout_outbox: {
    id: 'int8',
    event_id: 'uuid',
    reason: 'text',
    client_id: 'text',
    sub: 'text',
    sid: 'text null',
    status: 'text',
    attempts: 'int4',
    next_attempt_at: 'timestamptz',
    lease_until: 'timestamptz null',
    last_status: 'int4 null',
    last_error: 'text null',
    created_at: 'timestamptz',
    finished_at: 'timestamptz null',
  },
  signing_keys: { kid: 'text', alg: 'text', jwk_enc: 'text', created_at: 'timestamptz', retired_at: 'timestamptz null' },
  audit_log: {
    seq: 'int8',
    at: 'timestamptz',
    actor: 'text null',
    event: 'text',
    outcome: 'text',
    client_id: 'text null',
    ip: 'text null',
    detail: 'jsonb',
    prev_hash: 'text',
    hash: 'text',
    key_id: 'text',
    chain: 'int2',
    prev_seq: 'int8 null',
  },
  audit_head: { id: 'int2', seq: 'int8', hash: 'text', chain: 'int2', holder: 'text null', lease_until: 'timestamptz null' },
  login_throttle: { key: 'text', failures: 'int4', window_start: 'timestamptz', locked_until: 'timestamptz null' },
  orgs: {
    id: 'uuid',
    sub: 'text',
    uscc: 'text',
    org_code: 'text',
    name: 'text',
    type: 'text',
    legal_rep_person_id: 'uuid',
    status: 'text',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  org_authorizations: {
    id: 'uuid',
    org_id: 'uuid',
    person_id: 'uuid',
    role: 'text',
    status: 'text',
    valid_from: 'timestamptz',
    valid_until: 'timestamptz',
    granted_by: 'text',
    granted_by_person_id: 'uuid null',
    accepted_at: 'timestamptz null',
    revoked_at: 'timestamptz null',
    revoked_by: 'text null',
    ended_at: 'timestamptz null',
    created_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
  org_entity_contexts: {
    grant_id: 'text',
    client_id: 'text',
    person_id: 'uuid',
    org_id: 'uuid null',
    role: 'text null',
    authorization_id: 'uuid null',
    sid: 'text null',
    kind: 'text',
    created_at: 'timestamptz',
  },
  import_jobs: {
    id: 'uuid',
    department_code: 'text',
    source: 'text',
    source_kind: 'text',
    source_fingerprint: 'jsonb null',
    source_secret_enc: 'text null',
    profile: 'jsonb',
    status: 'text',
    checkpoint: 'int4',
    counters: 'jsonb',
    error: 'jsonb null',
    report: 'jsonb null',
    actor: 'text',
    started_at: 'timestamptz',
    updated_at: 'timestamptz',
    finished_at: 'timestamptz null',
    rows_total: 'int4 null',
  },
  legacy_accounts: {
    department_code: 'text',
    legacy_uid: 'text',
    person_id: 'uuid',
    login_name_bidx: 'text null',
    password_scheme: 'text null',
    password_enc: 'text null',
    password_retired_at: 'timestamptz null',
    id_number_unverified_enc: 'text null',
    uscc: 'text null',
    org_name: 'text null',
    org_id: 'uuid null',
    job_id: 'uuid',
    row_number: 'int4',
    created_at: 'timestamptz',
    status: 'text',
  },
  account_session_devices: {
    session_uid: 'text',
    account_id: 'text',
    user_agent: 'text',
    network: 'text null',
    created_at: 'timestamptz',
    last_seen_at: 'timestamptz',
  },
  account_email_changes: {
    person_id: 'uuid',
    email_enc: 'text',
    code_hash: 'text',
    attempts: 'int4',
    sent_at: 'timestamptz',
    expires_at: 'timestamptz',
  },
  account_cancellations: {
    id: 'uuid',
    person_id: 'uuid',
    sub: 'text',
    status: 'text',
    requested_at: 'timestamptz',
    due_at: 'timestamptz',
    ended_at: 'timestamptz null',
  },
  mfa_totp: { person_id: 'uuid', secret_enc: 'text', confirmed_at: 'timestamptz null', last_step: 'int8 null', created_at: 'timestamptz' },
  mfa_recovery_codes: { id: 'uuid', person_id: 'uuid', code_hash: 'text', used_at: 'timestamptz null', created_at: 'timestamptz' },
  mfa_passkeys: {
    id: 'uuid',
    person_id: 'uuid',
    credential_id: 'text',
    public_key: 'text',
    counter: 'int8',
    transports: 'jsonb',
    device_type: 'text',
    backed_up: 'bool',
    name: 'text',
    aaguid: 'text null',
    created_at: 'timestamptz',
    last_used_at: 'timestamptz null',
  },
  mfa_challenges: { challenge: 'text', purpose: 'text', binding: 'text', person_id: 'uuid null', expires_at: 'timestamptz' },
  mfa_session_levels: { session_uid: 'text', account_id: 'text', levels: 'jsonb', updated_at: 'timestamptz' },
  mfa_sms: { person_id: 'uuid', enabled_at: 'timestamptz' },
  import_rejections: {
    job_id: 'uuid',
    row_number: 'int4',
    line: 'int4 null',
    code: 'text',
    reason_zh: 'text',
    reason_en: 'text',
    column_name: 'text null',
    masked_values: 'jsonb',
  },
  import_conflicts: {
    id: 'uuid',
    job_id: 'uuid',
    row_number: 'int4',
    department_code: 'text',
    legacy_uid: 'text',
    person_id: 'uuid',
    code: 'text',
    reason_zh: 'text',
    reason_en: 'text',
    column_name: 'text null',
    masked_values: 'jsonb',
    row_enc: 'text',
    status: 'text',
    decided_by: 'text null',
    decided_at: 'timestamptz null',
    resolved_person_id: 'uuid null',
    created_at: 'timestamptz',
  },
  admin_roles: {
    id: 'uuid',
    person_id: 'uuid null',
    client_id: 'text null',
    role: 'text',
    department_code: 'text null',
    granted_by: 'text',
    created_at: 'timestamptz',
  },
  one_time_codes: {
    id: 'uuid',
    purpose: 'text',
    subject: 'text',
    person_id: 'uuid null',
    phone_bidx: 'text null',
    code_hash: 'text',
    attempts: 'int4',
    created_at: 'timestamptz',
    expires_at: 'timestamptz',
    used_at: 'timestamptz null',
  },
  code_counters: { key: 'text', count: 'int4', expires_at: 'timestamptz' },
  real_name_history: {
    id: 'int8',
    person_id: 'uuid',
    level: 'int2',
    previous_level: 'int2 null',
    method: 'text',
    actor: 'text',
    note: 'text null',
    at: 'timestamptz',
  },
  idv_rechecks: { person_id: 'uuid', attempts: 'int4', next_attempt_at: 'timestamptz', lease_until: 'timestamptz null', created_at: 'timestamptz' },
} as const satisfies DatabaseColumns;

// ---- what the migrations create, read from the database ------------------------------------

/** Kysely's own bookkeeping (src/db/migrate.ts), not part of the Database interface. */
const MIGRATOR_TABLES = ['yitong_migration', 'yitong_migration_lock'];

function migrator(db: Kysely<any>): Migrator {
  // the same table names as migrateToLatest, so that it sees what createTestDb applied
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'yitong_migration',
    migrationLockTableName: 'yitong_migration_lock',
  });
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
}

async function actualColumns(db: Kysely<any>): Promise<Map<string, Map<string, string>>> {
  const { rows } = await sql<ColumnRow>`
    select c.table_name, c.column_name, c.udt_name, c.is_nullable
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      -- partitions (audit_log_pYYYYMM, audit_log_default) are part of their parent's declaration
      and not exists (select 1 from pg_class pc where pc.oid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass and pc.relispartition)
    order by c.table_name, c.ordinal_position`.execute(db);
  const tables = new Map<string, Map<string, string>>();
  for (const r of rows) {
    if (MIGRATOR_TABLES.includes(r.table_name)) continue;
    if (!tables.has(r.table_name)) tables.set(r.table_name, new Map());
    tables.get(r.table_name)!.set(r.column_name, r.is_nullable === 'YES' ? `${r.udt_name} null` : r.udt_name);
  }
  return tables;
}

/** Every disagreement, one line each, both ways; empty when the schema matches the types. */
function compare(declared: Record<string, Record<string, string>>, actual: Map<string, Map<string, string>>): string[] {
  const problems: string[] = [];
  for (const [table, columns] of Object.entries(declared)) {
    const dbColumns = actual.get(table);
    if (!dbColumns) {
      problems.push(`table ${table}: declared in the Database interface, not created by the migrations`);
      continue;
    }
    for (const [column, spec] of Object.entries(columns)) {
      const got = dbColumns.get(column);
      if (got === undefined) problems.push(`${table}.${column}: declared (${spec}), missing in the database`);
      else if (got !== spec) problems.push(`${table}.${column}: declared ${spec}, database has ${got}`);
    }
    for (const [column, got] of dbColumns) {
      if (!(column in columns)) problems.push(`${table}.${column}: in the database (${got}), not declared in the table type`);
    }
  }
  for (const table of actual.keys()) {
    if (!(table in declared)) problems.push(`table ${table}: created by the migrations, not in the Database interface`);
  }
  return problems;
}

// ---- the checks ----------------------------------------------------------------------------

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb(); // an empty database with every migration applied (migrateToLatest)
});
afterAll(() => t?.drop());

describe('migrations', () => {
  it('apply every migration listed in migrations/index.ts, in order', async () => {
    const applied = (await migrator(t.db).getMigrations()).map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));
    expect(applied).toEqual(Object.keys(migrations).map((name) => ({ name, applied: true })));
  });

  it('create exactly the tables and columns the kysely types declare (names, nullability, types)', async () => {
    const problems = compare(DECLARED, await actualColumns(t.db));
    expect(problems).toEqual([]);
  });

  it('partition audit_log by month on `at` (0015): a default partition and the current month exist', async () => {
    const { rows } = await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'audit_log'::regclass order by c.relname`.execute(t.db);
    const now = new Date();
    const month = `audit_log_p${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(rows.map((r) => r.name)).toContain(month);
    expect(rows.find((r) => r.name === 'audit_log_default')?.bound).toBe('DEFAULT');
    const { rows: head } = await sql<{ chain: number }>`select chain from audit_head`.execute(t.db);
    expect(head).toEqual([{ chain: 1 }]);
  });

  it('0015 keeps existing audit records: copied into the partitions as key_id legacy, still verifying, and new ones follow', async () => {
    const fresh = await createTestDb();
    try {
      // back to the layout before 0015, with records written by the code of that time (MAC without a key id)
      expect((await migrator(fresh.db).migrateTo('0014_import_rows_total')).error).toBeUndefined();
      const keyring = new Keyring(parseMasterKey(TEST_MASTER_KEY));
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= 3; seq++) {
        const row = { seq, at: new Date(Date.now() - (4 - seq) * 40 * 86_400_000), actor: 'cli', event: 'keys.rotate', outcome: 'info', client_id: null, ip: null, detail: { seq } };
        const hash = chainHash(keyring, prev, row);
        await sql`insert into audit_log (seq, at, actor, event, outcome, client_id, ip, detail, prev_hash, hash)
                  values (${seq}, ${row.at}, 'cli', 'keys.rotate', 'info', null, null, ${JSON.stringify(row.detail)}::jsonb, ${prev}, ${hash})`.execute(fresh.db);
        prev = hash;
      }
      await sql`update audit_head set seq = 3, hash = ${prev} where id = 1`.execute(fresh.db);
      expect((await migrator(fresh.db).migrateToLatest()).error).toBeUndefined();

      const audit = new AuditLog(fresh.db, keyring);
      expect(await audit.verify()).toEqual({ ok: true, records: 3 });
      await audit.append({ event: 'keys.rotate', outcome: 'info', actor: 'cli' });
      expect(await audit.verify()).toEqual({ ok: true, records: 4 });
      const { rows } = await sql<{ seq: string; key_id: string; part: string }>`select seq, key_id, tableoid::regclass::text as part from audit_log order by seq`.execute(fresh.db);
      expect(rows.map((r) => r.key_id)).toEqual(['legacy', 'legacy', 'legacy', keyring.auditKeyId]);
      // every month that held records got its partition: nothing landed in the default one
      expect(rows.every((r) => /^audit_log_p\d{6}$/.test(r.part))).toBe(true);

      // 0016 recorded the last legacy seq: a record after it claiming the legacy key is refused
      const bound = await sql<{ value: string }>`select value from meta where key = 'audit_legacy_through'`.execute(fresh.db);
      expect(bound.rows).toEqual([{ value: '3' }]);
      await loadRetiredAuditKeys(fresh.db, keyring);
      const head = await store.readHead(fresh.db);
      const forged = { seq: 5, at: new Date(), actor: 'cli', event: 'keys.rotate', outcome: 'info', client_id: null, ip: null, detail: { seq: 5 }, key_id: 'legacy' };
      const hash = chainHash(keyring, head.hash, forged);
      await store.insertRecords(fresh.db, [{ ...forged, prev_hash: head.hash, hash }]);
      await store.updateHead(fresh.db, 1, 5, hash);
      expect(await audit.verify()).toEqual({ ok: false, records: 4, firstBad: { seq: 5, reason: 'unknown_key' } });
    } finally {
      await fresh.drop();
    }
  });

  it('index audit_log on (actor, seq) for a person’s own activity (0016; 0015 had dropped it)', async () => {
    const { rows } = await sql<{ def: string }>`select indexdef as def from pg_indexes where tablename = 'audit_log' and indexname = 'audit_log_actor_idx'`.execute(t.db);
    expect(rows).toHaveLength(1);
    expect(rows[0].def).toMatch(/\(actor, seq\) WHERE \(actor IS NOT NULL\)/);
  });

  it('the comparison itself notices a missing, an extra and a changed column and an undeclared table', () => {
    const actual = new Map([
      ['a', new Map([['x', 'text'], ['extra', 'int4'], ['n', 'text null']])],
      ['stray', new Map([['x', 'text']])],
    ]);
    expect(compare({ a: { x: 'text', gone: 'uuid', n: 'text' }, b: { y: 'text' } }, actual)).toEqual([
      'a.gone: declared (uuid), missing in the database',
      'a.n: declared text, database has text null',
      'a.extra: in the database (int4), not declared in the table type',
      'table b: declared in the Database interface, not created by the migrations',
      'table stray: created by the migrations, not in the Database interface',
    ]);
  });

  it('roll back completely: every down() undoes its up(), and the migrations apply again', async () => {
    const down = await migrator(t.db).migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect([...(await actualColumns(t.db)).keys()]).toEqual([]);
    const up = await migrator(t.db).migrateToLatest();
    expect(up.error).toBeUndefined();
    expect(compare(DECLARED, await actualColumns(t.db))).toEqual([]);
  });
});
