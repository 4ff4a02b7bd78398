// `yitong import ...` as an administrator runs it: the real CLI (bin/yitong.js) in child processes,
// on the embedded database or on PostgreSQL (DATABASE_URL). Kill -9 in the middle of an import and
// `import resume` must end exactly where an uninterrupted run into a fresh database ends.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cliEnv, runCli, type CliRun } from '../helpers/cli.ts';
import { canonicalState, generateCsv, generatedProfile, openTestApp, tempDir } from '../fixtures/legacy/support.ts';

type Run = CliRun;

/**
 * Runs the CLI. With `killAfterLines`, the process is killed with SIGKILL a random moment (0-40 ms)
 * after its n-th progress line, i.e. anywhere inside the batch after the n-th.
 */
function yitong(t: TestDatabase, args: string[], opts: { killAfterLines?: number } = {}): Promise<Run> {
  let armed = opts.killAfterLines;
  return runCli(args, cliEnv(t, { NODE_ENV: 'test', USER: 'tester' }), {
    onStderr: (stderr, child) => {
      if (armed && (stderr.match(/^import: /gm) ?? []).length >= armed && !child.killed) {
        armed = undefined;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 40));
      }
    },
  });
}

function json(r: Run): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

function jsonError(r: Run): { error: string; message: string } {
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1]) as { error: string; message: string };
}

async function stateOf(t: TestDatabase) {
  const opened = await openTestApp(t);
  try {
    return await canonicalState(opened.app);
  } finally {
    await opened.close();
  }
}

const dir = tempDir();
let a: TestDatabase;
let b: TestDatabase;
let small: string;
let big: { file: string; rows: number };
let profileFile: string;

beforeAll(async () => {
  a = await createTestDatabase();
  b = await createTestDatabase();
  small = generateCsv(dir.path('ga.csv'), { count: 300, uidPrefix: 'g', firstPerson: 0 }).file;
  // 20% of RS's people are GA's too; bad hashes, conflicts, unverified IDs and repeated uids mixed in
  big = generateCsv(dir.path('rs-gbk.csv'), { count: 6000, uidPrefix: 'r', firstPerson: 240, encoding: 'gbk', every: { bad: 97, conflict: 211, unverified: 89, duplicate: 503 } });
  profileFile = dir.file('profile.json', JSON.stringify(generatedProfile({ batch_size: 250 })));
  for (const t of [a, b]) {
    for (const [code, name] of [['GA', '公安局'], ['RS', '人社局']]) expect((await yitong(t, ['department', 'add', '--code', code, '--name', name])).code).toBe(0);
    const r = await yitong(t, ['import', small, '--department', 'GA', '--profile', profileFile, '--json']);
    expect(json(r)).toMatchObject({ status: 'done', counts: expect.objectContaining({ accounts_linked: 300 }) });
  }
}, 300_000);

afterAll(async () => {
  await a?.cleanup();
  await b?.cleanup();
  dir.remove();
});

describe('kill -9 and resume', () => {
  let jobId: string;

  it('a killed import leaves whole batches and a checkpoint', async () => {
    const killed = await yitong(a, ['import', big.file, '--department', 'RS', '--profile', profileFile, '--progress-interval', '0', '--json'], { killAfterLines: 4 });
    expect(killed.signal).toBe('SIGKILL');
    const jobs = json(await yitong(a, ['import', 'jobs', '--department', 'RS', '--json'])).jobs as { job_id: string; status: string; checkpoint: number }[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0].status).toBe('running');
    expect(jobs[0].checkpoint % 250).toBe(0);
    expect(jobs[0].checkpoint).toBeGreaterThanOrEqual(1000);
    expect(jobs[0].checkpoint).toBeLessThan(big.rows);
    jobId = jobs[0].job_id;
  }, 120_000);

  it('resumes (killed once more on the way) and ends exactly as an uninterrupted run into a fresh database', async () => {
    const again = await yitong(a, ['import', 'resume', jobId, '--progress-interval', '0', '--json'], { killAfterLines: 5 });
    expect(again.signal).toBe('SIGKILL');
    const report = dir.path('resumed-report.json');
    const resumed = json(await yitong(a, ['import', 'resume', jobId, '--report', report, '--json']));
    const straight = json(await yitong(b, ['import', big.file, '--department', 'RS', '--profile', profileFile, '--json']));
    expect(resumed).toMatchObject({ job_id: jobId, status: 'done', checkpoint: big.rows });
    expect(resumed.counts).toEqual(straight.counts);
    expect(resumed.counts).toMatchObject({ rows_read: big.rows, persons_merged: expect.any(Number), conflicts: expect.any(Number), rejected: expect.any(Number) });
    const counts = resumed.counts as Record<string, number>;
    expect(counts.persons_merged).toBeGreaterThanOrEqual(50); // GA's people 241-300
    expect(counts.conflicts).toBeGreaterThan(0);
    expect(counts.unverified_accounts).toBeGreaterThan(0);
    expect(resumed.rejections).toEqual(straight.rejections);
    expect(resumed.conflicts_total).toBe(straight.conflicts_total);
    const [sa, sb] = [await stateOf(a), await stateOf(b)];
    expect(sa.persons.length).toBe(sb.persons.length);
    expect(sa).toEqual(sb);
    const full = JSON.parse(fs.readFileSync(report, 'utf8'));
    expect(full.rejections).toHaveLength(counts.rejected);
    expect(full.conflicts).toHaveLength(counts.conflicts);
    const audit = json(await yitong(a, ['audit', 'list', '--event', 'import.resume', '--json'])).records as unknown[];
    expect(audit).toHaveLength(2);
  }, 300_000);

  it('changes nothing when the finished import is run again', async () => {
    const before = await stateOf(a);
    const again = json(await yitong(a, ['import', big.file, '--department', 'RS', '--profile', profileFile, '--json']));
    expect(again.counts).toMatchObject({ persons_created: 0, persons_merged: 0, accounts_linked: 0, conflicts: 0 });
    const after = await stateOf(a);
    expect(after.persons).toEqual(before.persons);
    expect(after.accounts).toEqual(before.accounts);
    expect(after.conflicts).toEqual(before.conflicts);
    const done = await yitong(a, ['import', 'resume', again.job_id as string, '--json']);
    expect(done.code).toBe(1);
    expect(jsonError(done).error).toBe('import.not_resumable');
  }, 120_000);
});

describe('the review queue from the command line', () => {
  it('lists pending conflicts (masked) and resolves one by merging, one by keeping apart; both audited', async () => {
    const listed = json(await yitong(a, ['import', 'conflicts', '--json'])).conflicts as { id: string; values: Record<string, string>; status: string }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed[0].values.id_number).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
    const merged = json(await yitong(a, ['import', 'resolve', listed[0].id, '--merge', '--json']));
    expect(merged).toMatchObject({ conflict_id: listed[0].id, status: 'merged' });
    const apart = json(await yitong(a, ['import', 'resolve', listed[1].id, '--keep-apart', '--json']));
    expect(apart).toMatchObject({ conflict_id: listed[1].id, status: 'kept_apart' });
    expect(apart.sub).not.toBe(merged.sub);
    const twice = await yitong(a, ['import', 'resolve', listed[1].id, '--merge', '--json']);
    expect(twice.code).toBe(1);
    expect(jsonError(twice).error).toBe('import.conflict_decided');
    const both = await yitong(a, ['import', 'resolve', listed[2]?.id ?? listed[0].id, '--merge', '--keep-apart', '--json']);
    expect(jsonError(both).error).toBe('import.decision_required');
    const audit = json(await yitong(a, ['audit', 'list', '--event', 'import.conflict.resolve', '--json'])).records as { actor: string; detail: Record<string, unknown> }[];
    expect(audit.map((r) => r.detail.decision).sort()).toEqual(['kept_apart', 'merged']);
    expect(audit[0].actor).toBe('cli:tester');
    const remaining = json(await yitong(a, ['import', 'conflicts', '--json'])).conflicts as unknown[];
    expect(remaining).toHaveLength(listed.length - 2);
  }, 120_000);
});

describe('errors and dry runs from the command line', () => {
  it('explains a bad profile at its JSON paths, an unknown department and a missing file; exit 1', async () => {
    const bad = dir.file('bad-profile.json', JSON.stringify({ source: { type: 'csv', encoding: 'big5' }, columns: {} }));
    const r = await yitong(a, ['import', small, '--department', 'GA', '--profile', bad, '--json']);
    expect(r.code).toBe(1);
    const e = jsonError(r);
    expect(e.error).toBe('import.profile_invalid');
    expect(e.message).toContain('$.source.encoding');
    expect(e.message).toContain('$.columns.legacy_uid');
    const scheme = dir.file('scheme-profile.json', JSON.stringify({ ...generatedProfile(), password: { scheme: 'md6' } }));
    const s = jsonError(await yitong(a, ['import', small, '--department', 'GA', '--profile', scheme, '--json']));
    expect(s.message).toContain('$.password.scheme');
    expect(s.message).toContain('md6');
    const dept = await yitong(a, ['import', small, '--department', 'NOPE', '--profile', profileFile, '--json']);
    expect(jsonError(dept).error).toBe('department.unknown');
    const missing = await yitong(a, ['import', dir.path('nope.csv'), '--department', 'GA', '--profile', profileFile, '--json']);
    expect(missing.code).toBe(1);
    expect(jsonError(missing)).toMatchObject({ error: 'file.unreadable', message: expect.stringContaining('nope.csv') });
  }, 60_000);

  it('stops on bad input with file, row and column on stderr, and the job can be inspected', async () => {
    const f = dir.file('stop.csv', `yhid,dlm,xm,sfzh,sjhm,mm\nz1,uz1,王伟,11010519491231002X,,${'0'.repeat(32)}\nz2,uz2,李娜,11010519491231002X,,nothex\n`);
    const p = dir.file('stop.json', JSON.stringify(generatedProfile({ on_error: 'stop' })));
    const r = await yitong(a, ['import', f, '--department', 'GA', '--profile', p, '--json']);
    expect(r.code).toBe(1);
    const e = jsonError(r);
    expect(e.error).toBe('hash.shape');
    expect(e.message).toContain(`${f}: row 2, line 3, column "mm"`);
    const jobId = /job ([0-9a-f-]{36})/.exec(e.message)![1];
    const shown = json(await yitong(a, ['import', 'show', jobId, '--json']));
    expect(shown).toMatchObject({ status: 'failed', checkpoint: 0, error: expect.objectContaining({ code: 'hash.shape', row: 2, column: 'mm' }) });
  }, 60_000);

  it('a dry run prints the report and writes only the job record', async () => {
    const f = generateCsv(dir.path('dry.csv'), { count: 40, uidPrefix: 'd', firstPerson: 100_000, every: { bad: 10 } }).file;
    const report = dir.path('dry-report.json');
    const before = json(await yitong(a, ['import', 'jobs', '--json'])).jobs as unknown[];
    const r = json(await yitong(a, ['import', f, '--department', 'GA', '--profile', profileFile, '--dry-run', '--report', report, '--json']));
    expect(r).toMatchObject({ status: 'dry_run', dry_run: true, counts: expect.objectContaining({ persons_created: 36, rejected: 4 }) });
    expect(JSON.parse(fs.readFileSync(report, 'utf8')).rejections).toHaveLength(4);
    const jobs = json(await yitong(a, ['import', 'jobs', '--json'])).jobs as { status: string }[];
    expect(jobs).toHaveLength(before.length + 1);
    expect(jobs[0].status).toBe('dry_run');
    const real = json(await yitong(a, ['import', f, '--department', 'GA', '--profile', profileFile, '--json']));
    expect(real.counts).toEqual(r.counts);
  }, 60_000);
});
