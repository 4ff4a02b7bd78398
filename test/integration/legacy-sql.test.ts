// Live SQL sources: a department's user table read straight from MariaDB (127.0.0.1:3306, database
// `test`) and from PostgreSQL (a fresh database on 127.0.0.1:5432), streamed into the library.
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeImport, startImport } from '../../src/legacy/job/runner.ts';
import { ImportFailed } from '../../src/legacy/errors.ts';
import { verifyLegacyHash } from '../../src/legacy/schemes/index.ts';
import { openLegacyHash } from '../../src/legacy/secrets.ts';
import { count, departments, hashes, nameFor, openTestApp, profile, residentIdFor, type TestApp } from '../fixtures/legacy/support.ts';

const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
const PG_ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = 3000;
// past 2^53: must arrive as the server's text, not through a double
const BIG_UID = '9007199254740993';

let t: TestApp;
const table = `legacy_users_${crypto.randomBytes(4).toString('hex')}`;
const pgDb = `yitong_src_${crypto.randomBytes(4).toString('hex')}`;
let pgUrl: string;

interface SourceRow {
  uid: string;
  login: string;
  name: string;
  idno: string;
  salt: string;
  hash: string;
}

function sourceRows(first: number): SourceRow[] {
  const rows: SourceRow[] = [];
  for (let i = 1; i <= ROWS; i++) {
    const login = `user${first + i}`;
    const salt = `s${i}`;
    rows.push({ uid: i === 1 ? BIG_UID : String(first + i), login, name: nameFor(first + i), idno: residentIdFor(first + i), salt, hash: hashes.ruoyi(login, `Pw#${login}`, salt) });
  }
  return rows;
}

const columns = { legacy_uid: 'uid', login_name: 'login', name: 'xm', id_number: 'sfzh', password_hash: 'mm', salt: 'salt' };

beforeAll(async () => {
  t = await openTestApp();
  await departments(t.app, ['MY', 'MariaDB 部门'], ['PG', 'PostgreSQL 部门']);

  const my = await mysql.createConnection({ uri: MYSQL_URL, charset: 'UTF8MB4_UNICODE_CI' });
  await my.query(`create table ${table} (uid bigint unsigned primary key, login varchar(64), xm varchar(64), sfzh varchar(32), mm char(32), salt varchar(16)) default charset = utf8mb4`);
  const rows = sourceRows(0);
  for (let i = 0; i < rows.length; i += 500) {
    await my.query(`insert into ${table} (uid, login, xm, sfzh, mm, salt) values ?`, [rows.slice(i, i + 500).map((r) => [r.uid, r.login, r.name, r.idno, r.hash, r.salt])]);
  }
  await my.end();

  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${pgDb}`);
  await admin.end();
  const u = new URL(PG_ADMIN);
  u.pathname = `/${pgDb}`;
  u.password = 'never-stored';
  pgUrl = u.toString();
  const src = new pg.Client({ connectionString: pgUrl });
  await src.connect();
  await src.query(`create table legacy_users (uid numeric(20) primary key, login text, xm text, sfzh text, mm text, salt text, created timestamptz default now())`);
  const pgRows = sourceRows(100_000);
  for (let i = 0; i < pgRows.length; i += 500) {
    const chunk = pgRows.slice(i, i + 500);
    await src.query(
      `insert into legacy_users (uid, login, xm, sfzh, mm, salt) select * from unnest($1::numeric[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [chunk.map((r) => r.uid), chunk.map((r) => r.login), chunk.map((r) => r.name), chunk.map((r) => r.idno), chunk.map((r) => r.hash), chunk.map((r) => r.salt)],
    );
  }
  await src.end();
}, 120_000);

afterAll(async () => {
  await t?.close();
  const my = await mysql.createConnection({ uri: MYSQL_URL }).catch(() => null);
  await my?.query(`drop table if exists ${table}`);
  await my?.end();
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${pgDb} with (force)`);
  await admin.end();
});

async function checkPasswords(department: string, rows: SourceRow[]) {
  for (const r of [rows[0], rows[1], rows[rows.length - 1]]) {
    const a = await t.app.db.selectFrom('legacy_accounts').selectAll().where('department_code', '=', department).where('legacy_uid', '=', r.uid).executeTakeFirstOrThrow();
    expect(await verifyLegacyHash(`Pw#${r.login}`, openLegacyHash(t.app.keyring, department, r.uid, a.password_enc!))).toBe(true);
  }
}

describe('a live MariaDB source', () => {
  it('streams the table in, every value as the server wrote it', async () => {
    const p = profile({
      source: { type: 'sql', url: MYSQL_URL, query: `select uid, login, xm, sfzh, mm, salt from ${table} order by uid` },
      columns,
      password: { scheme: 'ruoyi-md5' },
      batch_size: 500,
    });
    const r = await startImport(t.app, { department: 'MY', profile: p }, { actor: 'cli:test' });
    expect(r).toMatchObject({ status: 'done', source: MYSQL_URL, counts: expect.objectContaining({ rows_read: ROWS, persons_created: ROWS, accounts_linked: ROWS, rejected: 0 }) });
    expect(await count(t.app.db, 'legacy_accounts')).toBe(ROWS);
    await checkPasswords('MY', sourceRows(0));
  });

  it('says which columns a query lacks, and when the source cannot be reached', async () => {
    const p = (url: string, query: string) => profile({ source: { type: 'sql', url, query }, columns, password: { scheme: 'ruoyi-md5' } });
    const missing = (await startImport(t.app, { department: 'MY', profile: p(MYSQL_URL, `select uid, login, mm, salt from ${table} order by uid`) }, { actor: 'cli:test' }).catch((e: unknown) => e)) as ImportFailed;
    expect(missing).toBeInstanceOf(ImportFailed);
    expect(missing.code).toBe('source.missing_column');
    expect(missing.message).toContain('xm (columns.name)');
    const down = (await startImport(t.app, { department: 'MY', profile: p('mysql://root@127.0.0.1:1/test', 'select 1') }, { actor: 'cli:test' }).catch((e: unknown) => e)) as ImportFailed;
    expect(down.code).toBe('source.query_failed');
  });
});

describe('a live PostgreSQL source', () => {
  it('streams through a server-side cursor; the URL password is kept sealed, never in clear', async () => {
    const p = profile({
      source: { type: 'sql', url: pgUrl, query: 'select uid, login, xm, sfzh, mm, salt from legacy_users order by uid' },
      columns,
      password: { scheme: 'ruoyi-md5' },
      batch_size: 400,
    });
    const r = await startImport(t.app, { department: 'PG', profile: p }, { actor: 'cli:test' });
    expect(r.counts).toMatchObject({ rows_read: ROWS, persons_created: ROWS, accounts_linked: ROWS });
    expect(r.source).not.toContain('never-stored');
    const job = await t.app.db.selectFrom('import_jobs').selectAll().where('id', '=', r.job_id).executeTakeFirstOrThrow();
    expect(JSON.stringify(job.profile)).not.toContain('never-stored');
    expect(job.source_secret_enc).toBeTruthy();
    expect(job.source_secret_enc).not.toContain('never-stored');
    await checkPasswords('PG', sourceRows(100_000));
  });

  it('resumes a stopped job from its checkpoint once the source row is fixed', async () => {
    const src = new pg.Client({ connectionString: pgUrl });
    await src.connect();
    await src.query(`insert into legacy_users (uid, login, xm, sfzh, mm, salt) values (900001, 'late1', '迟到', $1, 'broken', 'x'), (900002, 'late2', '后来', $2, $3, 'y')`, [
      residentIdFor(900_001),
      residentIdFor(900_002),
      hashes.ruoyi('late2', 'Pw#late2', 'y'),
    ]);
    const p = profile({
      source: { type: 'sql', url: pgUrl, query: 'select uid, login, xm, sfzh, mm, salt from legacy_users where uid between 900000 and 999999 order by uid' },
      columns,
      password: { scheme: 'ruoyi-md5' },
      batch_size: 1,
    });
    const err = (await startImport(t.app, { department: 'PG', profile: p }, { actor: 'cli:test' }).catch((e: unknown) => e)) as ImportFailed;
    expect(err.code).toBe('hash.shape');
    expect(err.message).toContain('row 1');
    await src.query(`update legacy_users set mm = $1 where uid = 900001`, [hashes.ruoyi('late1', 'Pw#late1', 'x')]);
    await src.end();
    const r = await resumeImport(t.app, err.jobId!, { actor: 'cli:test' });
    expect(r).toMatchObject({ status: 'done', checkpoint: 2, counts: expect.objectContaining({ accounts_linked: 2 }) });
  });
});
