// The real `yitong` command (bin/yitong.js in a child process) as an administrator's script uses
// it: --json on stdout, JSON errors in zh-CN and en on stderr, exit codes. On the embedded database
// under a temp DATA_DIR, and on a fresh PostgreSQL database when DATABASE_URL is set.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { BIN, ROOT, cliEnv, killRunningCli, runCli, type CliRun } from '../helpers/cli.ts';
import { freePort } from '../helpers/server.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { PASSWORD, ID_A, ID_B } from '../helpers/fixtures.ts';
import { LoginThrottle } from '../../src/interactions/throttle.ts';
import { personThrottleAccount } from '../../src/interactions/authenticate.ts';

type Run = CliRun;

interface Target {
  name: string;
  databaseUrl?: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

const envFor = cliEnv;

afterEach(killRunningCli);

function yitong(t: Target, args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return runCli(args, envFor(t, opts.env), { stdin: opts.stdin });
}

/** The contract: with --json, stdout is exactly one JSON object. */
function json(r: Run): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

/** Errors: one JSON object on stderr, a message in both languages. */
function jsonError(r: Run): { error: string; message: string } {
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  expect(lines.length, `stderr: ${r.stderr}`).toBeGreaterThanOrEqual(1);
  return JSON.parse(lines[lines.length - 1]) as { error: string; message: string };
}

async function withDb<T>(t: Target, fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir }, { poolSize: 1 });
  try {
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

async function embeddedTarget(): Promise<Target> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-cli-'));
  return { name: 'embedded (PGlite)', dataDir, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

async function postgresTarget(): Promise<Target> {
  const t: TestDatabase = await createTestDatabase();
  return { name: 'PostgreSQL', databaseUrl: t.databaseUrl, dataDir: t.dataDir, cleanup: t.cleanup };
}

const targets: [string, () => Promise<Target>][] = [['embedded (PGlite)', embeddedTarget]];
if (process.env.DATABASE_URL) targets.push(['PostgreSQL', postgresTarget]);

describe.each(targets)('yitong CLI on %s', (kind, make) => {
  let t: Target;
  let server: ChildProcess | undefined;

  beforeAll(async () => {
    t = await make();
  });

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await t?.cleanup();
  });

  it('department add --json -> {"code","name"}', async () => {
    const r = await yitong(t, ['department', 'add', '--code', 'GA', '--name', '公安局', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ code: 'GA', name: '公安局' });
    const dup = await yitong(t, ['department', 'add', '--code', 'GA', '--name', '公安局', '--json']);
    expect(dup.code).toBe(1);
    expect(jsonError(dup).error).toBe('department.exists');
  });

  it('client add --json -> client_id and client_secret; --public -> no secret', async () => {
    const r = await yitong(t, ['client', 'add', '--name', '公安局业务系统', '--redirect-uri', 'https://ga.example.gov.cn/callback', '--department', 'GA', '--post-logout-redirect-uri', 'https://ga.example.gov.cn/bye', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const c = json(r);
    expect(c.client_id).toMatch(/^\S{8,}$/);
    expect(typeof c.client_secret).toBe('string');
    expect((c.client_secret as string).length).toBeGreaterThanOrEqual(32);

    const p = await yitong(t, ['client', 'add', '--name', '掌上办', '--redirect-uri', 'https://app.example.gov.cn/cb', '--public', '--json']);
    expect(p.code, p.stderr).toBe(0);
    const pub = json(p);
    expect(pub.client_id).toMatch(/^\S{8,}$/);
    expect(pub.client_id).not.toBe(c.client_id);
    expect(pub).not.toHaveProperty('client_secret');

    // an unknown department and a redirect URI with a fragment are refused
    const bad = await yitong(t, ['client', 'add', '--name', 'x', '--redirect-uri', 'https://a.example/cb', '--department', 'NOPE', '--json']);
    expect(bad.code).toBe(1);
    expect(jsonError(bad).error).toBe('department.unknown');
    const frag = await yitong(t, ['client', 'add', '--name', 'x', '--redirect-uri', 'https://a.example/cb#x', '--json']);
    expect(frag.code).toBe(1);
    expect(jsonError(frag).error).toBe('client.redirect_uri_invalid');
  });

  let sub: string;
  it('client add --token-endpoint-auth-method: client_secret_post and client_secret_jwt get a secret, private_key_jwt a --jwks-uri', async () => {
    const add = (...extra: string[]) => yitong(t, ['client', 'add', '--name', '接口应用', '--redirect-uri', 'https://api.example.gov.cn/cb', ...extra, '--json']);
    for (const method of ['client_secret_post', 'client_secret_jwt']) {
      const r = await add('--token-endpoint-auth-method', method);
      expect(r.code, r.stderr).toBe(0);
      expect(typeof json(r).client_secret).toBe('string');
    }
    const pk = await add('--token-endpoint-auth-method', 'private_key_jwt', '--jwks-uri', 'https://api.example.gov.cn/jwks.json');
    expect(pk.code, pk.stderr).toBe(0);
    expect(json(pk)).not.toHaveProperty('client_secret');
    const missing = await add('--token-endpoint-auth-method', 'private_key_jwt');
    expect(missing.code).toBe(1);
    expect(jsonError(missing).error).toBe('client.jwks_uri_required');
    const unknown = await add('--token-endpoint-auth-method', 'tls_client_auth');
    expect(unknown.code).toBe(1);
    expect(jsonError(unknown).error).toBe('client.auth_method_invalid');
  });

  it('client update sets and clears the sign-in policies; bad values and unknown apps are refused', async () => {
    const c = json(await yitong(t, ['client', 'add', '--name', '税务办事', '--redirect-uri', 'https://sw.example.gov.cn/cb', '--json']));
    const id = c.client_id as string;
    const set = await yitong(t, ['client', 'update', '--client-id', id, '--min-acr', 'urn:yitong:acr:mfa', '--min-real-name-level', '2', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(json(set)).toMatchObject({ client_id: id, min_acr: 'urn:yitong:acr:mfa', min_real_name_level: 2 });
    const cleared = await yitong(t, ['client', 'update', '--client-id', id, '--min-acr', 'none', '--json']);
    expect(json(cleared)).toMatchObject({ min_acr: null, min_real_name_level: 2 });
    const bad = await yitong(t, ['client', 'update', '--client-id', id, '--min-acr', 'urn:yitong:acr:gold', '--json']);
    expect(bad.code).toBe(1);
    expect(jsonError(bad).error).toBe('client.min_acr_invalid');
    const level = await yitong(t, ['client', 'update', '--client-id', id, '--min-real-name-level', '9', '--json']);
    expect(jsonError(level).error).toBe('client.min_real_name_level_invalid');
    const unknown = await yitong(t, ['client', 'update', '--client-id', 'yt_nobody', '--min-acr', 'none', '--json']);
    expect(jsonError(unknown).error).toBe('client.unknown');
    const nothing = await yitong(t, ['client', 'update', '--client-id', id, '--json']);
    expect(nothing.code).toBe(2);
  });

  it('person add --password-stdin -> {"sub"}', async () => {
    const r = await yitong(t, ['person', 'add', '--id-number', ID_A, '--name', '张三', '--phone', '13800138000', '--email', 'zhang@example.cn', '--password-stdin', '--json'], { stdin: `${PASSWORD}\n` });
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(Object.keys(out)).toEqual(['sub']);
    sub = out.sub as string;
    expect(sub).toMatch(/^[\w-]{16,}$/);
    expect(sub).not.toContain(ID_A.slice(0, 6));
    // the ID number is stored sealed, never in clear
    const rows = await withDb(t, (db) => sql<{ n: number }>`select count(*)::int as n from persons where id_number_enc like ${'%' + ID_A + '%'}`.execute(db));
    expect(rows.rows[0].n).toBe(0);
  });

  it('person disable | enable | logout, and outbox list', async () => {
    const off = await yitong(t, ['person', 'disable', '--id-number', ID_A, '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect(json(off)).toMatchObject({ sub, status: 'disabled', changed: true, sessions_ended: 0, grants_revoked: 0, logouts_queued: 0 });
    const again = await yitong(t, ['person', 'disable', '--id-number', ID_A, '--json']);
    expect(json(again)).toMatchObject({ status: 'disabled', changed: false });
    const on = await yitong(t, ['person', 'enable', '--id-number', ID_A, '--json']);
    expect(json(on)).toMatchObject({ sub, status: 'active', changed: true });
    const out = await yitong(t, ['person', 'logout', '--id-number', ID_A, '--json']);
    expect(json(out)).toMatchObject({ sub, sessions_ended: 0 });
    const unknown = await yitong(t, ['person', 'logout', '--id-number', ID_B, '--json']);
    expect(unknown.code).toBe(1);
    expect(jsonError(unknown).error).toBe('person.unknown');
    const list = await yitong(t, ['outbox', 'list', '--failed', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(json(list)).toEqual({ deliveries: [] });
    const both = await yitong(t, ['outbox', 'list', '--failed', '--pending', '--json']);
    expect(both.code).toBe(2);
  });

  it('a malformed ID number exits 1 with a JSON error in zh-CN and en on stderr', async () => {
    const wrongCheck = ID_B.slice(0, 17) + (ID_B[17] === '1' ? '2' : '1');
    const r = await yitong(t, ['person', 'add', '--id-number', wrongCheck, '--name', '李四', '--password-stdin', '--json'], { stdin: PASSWORD });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const err = jsonError(r);
    expect(err.error).toBe('id_number.check_char');
    expect(err.message).toContain('身份证号码校验位不正确');
    expect(err.message).toContain('The ID number check character is wrong');

    const floaty = await yitong(t, ['person', 'add', '--id-number', '1.10105E+17', '--name', '李四', '--password-stdin', '--json'], { stdin: PASSWORD });
    expect(floaty.code).toBe(1);
    expect(jsonError(floaty).error).toBe('id_number.float_mangled');
  });

  it('a duplicate person is refused', async () => {
    // the same number written with a lower-case x and full-width digits is the same person
    const sameId = ID_A.replace('X', 'x').replace(/^11/, '１１');
    const r = await yitong(t, ['person', 'add', '--id-number', sameId, '--name', '张三', '--password-stdin', '--json'], { stdin: PASSWORD });
    expect(r.code).toBe(1);
    const err = jsonError(r);
    expect(err.error).toBe('person.exists');
    expect(err.message).toContain('该证件号码已注册');
  });

  it('person unlock --json ends a sign-in lock (audited); an unknown or malformed ID number is refused', async () => {
    const throttle = { accountDelayAfter: 0, accountLockAfter: 2, ipLockAfter: 0, lockSeconds: 900, windowSeconds: 900, maxDelayMs: 0 };
    const lockKey = await withDb(t, async (db) => {
      const { id } = await db.selectFrom('persons').select('id').where('sub', '=', sub).executeTakeFirstOrThrow();
      const th = new LoginThrottle(db, throttle);
      const keys = { account: personThrottleAccount(id), ip: '192.0.2.8' };
      await th.recordFailure(keys);
      await th.recordFailure(keys);
      expect((await th.check(keys)).locked).toBe(true);
      return 'acct:' + keys.account;
    });
    const r = await yitong(t, ['person', 'unlock', '--id-number', ID_A.replace('X', 'x'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ sub, was_locked: true });
    await withDb(t, async (db) => {
      expect(await db.selectFrom('login_throttle').select('key').where('key', '=', lockKey).execute()).toEqual([]);
      const audit = await sql<{ actor: string; detail: Record<string, unknown> }>`select actor, detail from audit_log where event = 'person.unlock'`.execute(db);
      expect(audit.rows).toHaveLength(1);
      expect(audit.rows[0].actor).toMatch(/^cli:/);
      expect(audit.rows[0].detail).toMatchObject({ sub, was_locked: true, id_number: '110105********002X' });
    });
    // not locked: nothing to end, still answered (and audited)
    const again = await yitong(t, ['person', 'unlock', '--id-number', ID_A, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toEqual({ sub, was_locked: false });
    const text = await yitong(t, ['person', 'unlock', '--id-number', ID_A]);
    expect(text.stdout).toContain('not locked');

    const unknown = await yitong(t, ['person', 'unlock', '--id-number', ID_B, '--json']);
    expect(unknown.code).toBe(1);
    expect(jsonError(unknown).error).toBe('person.unknown');
    const bad = await yitong(t, ['person', 'unlock', '--id-number', '12345', '--json']);
    expect(bad.code).toBe(1);
    expect(jsonError(bad).error).toMatch(/^id_number\./);
    const missing = await yitong(t, ['person', 'unlock', '--json']);
    expect(missing.code).toBe(2);
    expect(jsonError(missing).error).toBe('usage');
  });

  it('refuses a weak password and a missing --password-stdin', async () => {
    const weak = await yitong(t, ['person', 'add', '--id-number', ID_B, '--name', '李四', '--password-stdin', '--json'], { stdin: 'password' });
    expect(weak.code).toBe(1);
    expect(jsonError(weak).error).toMatch(/^password\./);
    const noStdin = await yitong(t, ['person', 'add', '--id-number', ID_B, '--name', '李四', '--json']);
    expect(noStdin.code).not.toBe(0);
    expect(jsonError(noStdin).error).toBe('usage');
  });

  it('keys rotate -> the keys added', async () => {
    const r = await yitong(t, ['keys', 'rotate', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r) as { added: string[]; retired: string[] };
    expect(out.added.length).toBeGreaterThanOrEqual(1);
    expect(out.added.some((k) => k.startsWith('es256'))).toBe(true);
    expect(out.retired).toEqual([]);
  });

  it('audit verify -> {"ok":true}; a tampered row -> exit 1, ok false and the first bad record', async () => {
    const good = await yitong(t, ['audit', 'verify', '--json']);
    expect(good.code, good.stderr).toBe(0);
    const ok = json(good);
    expect(ok.ok).toBe(true);
    expect(ok.records).toBeGreaterThanOrEqual(5); // department, clients, person, keys ...

    // somebody with database access rewrites history: the person.create record now blames another actor
    const seq = await withDb(t, async (db) => {
      const row = await sql<{ seq: number }>`select seq from audit_log where event = 'person.create' order by seq limit 1`.execute(db);
      const s = Number(row.rows[0].seq);
      await sql`update audit_log set actor = 'cli:someone-else' where seq = ${s}`.execute(db);
      return s;
    });
    const bad = await yitong(t, ['audit', 'verify', '--json']);
    expect(bad.code).toBe(1);
    const out = json(bad) as { ok: boolean; firstBad: { seq: number; reason: string } };
    expect(out.ok).toBe(false);
    expect(out.firstBad).toEqual({ seq, reason: 'hash_mismatch' });
  });

  it('keeps stdout to the one JSON object on the zero-setup path (master key generated into DATA_DIR)', async () => {
    if (t.databaseUrl) return; // the generated key file belongs to the embedded default
    const fresh: Target = { ...t, dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-cli-fresh-')) };
    try {
      const r = await yitong(fresh, ['department', 'add', '--code', 'GA', '--name', '公安局', '--json'], { env: { YITONG_MASTER_KEY: '' } });
      expect(r.code, r.stderr).toBe(0);
      expect(fs.existsSync(path.join(fresh.dataDir, 'master.key'))).toBe(true);
      expect(json(r)).toEqual({ code: 'GA', name: '公安局' }); // the "generated a master key" warning belongs on stderr
    } finally {
      fs.rmSync(fresh.dataDir, { recursive: true, force: true });
    }
  });

  it('unknown commands and options are usage errors', async () => {
    const r = await yitong(t, ['department', 'add', '--code', 'X', '--bogus', '1', '--json']);
    expect(r.code).toBe(2);
    expect(jsonError(r).error).toBe('usage');
  });

  it(kind === 'embedded (PGlite)' ? 'hands commands to the server that holds the embedded database' : 'runs beside a running server', async () => {
    const port = await freePort();
    server = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: envFor(t, { PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let serverErr = '';
    server.stderr!.setEncoding('utf8').on('data', (c: string) => (serverErr += c));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`yitong serve exited with ${server.exitCode}: ${serverErr}`);
      const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((res) => res.status, () => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`yitong serve not ready after 60 s (last /readyz: ${status}): ${serverErr}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const r = await yitong(t, ['department', 'add', '--code', 'RS', '--name', '人社局', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toEqual({ code: 'RS', name: '人社局' });
    // standard input (the password) reaches the command, and errors come back as they do locally
    const added = await yitong(t, ['person', 'add', '--id-number', '110101199003070011', '--name', '赵六', '--password-stdin', '--json'], { stdin: PASSWORD });
    expect(added.code, added.stderr).toBe(0);
    expect(json(added).sub).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const again = await yitong(t, ['person', 'add', '--id-number', '110101199003070011', '--name', '赵六', '--password-stdin', '--json'], { stdin: PASSWORD });
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(jsonError(again).error).toBe('person.exists');
    const listed = await yitong(t, ['audit', 'list', '--event', 'department.create', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect((json(listed).records as { detail: { code?: string } }[]).map((x) => x.detail.code)).toContain('RS');

    if (!t.databaseUrl) {
      // only this user may hand commands to the server
      expect(fs.statSync(path.join(t.dataDir, 'yitong.sock')).mode & 0o777).toBe(0o600);
    }

    // graceful stop, then (embedded) the directory is free again
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    if (!t.databaseUrl) {
      expect(fs.existsSync(path.join(t.dataDir, 'yitong.sock'))).toBe(false);
      const after = await yitong(t, ['department', 'add', '--code', 'YB', '--name', '医保局', '--json']);
      expect(after.code, after.stderr).toBe(0);
    }
  });

  it.skipIf(kind !== 'embedded (PGlite)')('says clearly that the data directory is in use by a process that hosts no commands', async () => {
    // a live process (this test runner) holds the lock, as a running import would
    const lock = path.join(t.dataDir, 'yitong.pid');
    fs.writeFileSync(lock, String(process.pid));
    try {
      const r = await yitong(t, ['department', 'add', '--code', 'WJ', '--name', '卫健委', '--json']);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const err = jsonError(r);
      expect(err.error).toBe('data_dir.in_use');
      expect(err.message).toContain(t.dataDir);
      expect(err.message).toContain(String(process.pid));
      expect(err.message).toContain('正被进程');
      expect(err.message).toContain('is in use by process');
      const plain = await yitong(t, ['department', 'add', '--code', 'WJ', '--name', '卫健委']);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toContain('Stop that server first');
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  it('lists every command with a description, and helps with each group and command', async () => {
    const all = await yitong(t, ['--help']);
    expect(all.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'department add', 'client add', 'person add', 'org grant', 'import resume', 'audit verify']) {
      expect(all.stdout).toMatch(new RegExp(`^  ${cmd} +\\S.* / \\S`, 'm'));
    }
    const group = await yitong(t, ['org', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('org revoke');
    expect(group.stdout).not.toContain('client add');
    const one = await yitong(t, ['client', 'add', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--redirect-uri VALUE');
    const unknown = await yitong(t, ['frobnicate', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(jsonError(unknown)).toMatchObject({ error: 'usage' });
    expect(jsonError(unknown).message).toContain('frobnicate');
  });
}, 180_000); // several CLI processes per test, each seconds long on the embedded database: slower under load, not red
