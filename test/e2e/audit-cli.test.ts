// `yitong audit checkpoint | verify --checkpoint | purge` as an operator runs them (bin/yitong.js in a
// child process): exit 0 while the chain reaches the checkpoint, exit 1 with the reason in zh-CN and
// en when the checkpoint was altered, signed by another key, or the chain was cut back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cliEnv, runCli, type CliRun } from '../helpers/cli.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { CheckpointSigner } from '../../src/audit/checkpoint.ts';

describe('yitong audit checkpoint / verify --checkpoint', () => {
  let t: TestDatabase;
  let dir: string;

  const yitong = (args: string[]) => runCli(args, cliEnv(t));
  const json = (r: CliRun) => JSON.parse(r.stdout.trim()) as Record<string, unknown>;

  async function withDb(fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<void>): Promise<void> {
    const handle = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir }, { poolSize: 1 });
    try {
      await fn(handle.db);
    } finally {
      await handle.close();
    }
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-cp-'));
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await t?.cleanup();
  });

  it('checkpoint then verify: ok; altered, re-signed or cut-back chains exit 1 with the reason', async () => {
    for (const code of ['GA']) expect((await yitong(['department', 'add', '--code', code, '--name', code])).code).toBe(0);

    const file = path.join(dir, 'cp.json');
    const made = await yitong(['audit', 'checkpoint', '--out', file, '--json']);
    expect(made.code, made.stderr).toBe(0);
    const cp = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(cp).toMatchObject({ v: 1, alg: 'SM2-with-SM3', seq: json(made).seq, key_id: expect.stringMatching(/^sm2:[0-9a-f]{16}$/) });
    expect(Object.keys(cp)).toEqual(expect.arrayContaining(['seq', 'hash', 'time', 'key_id', 'signature']));
    const stdoutCp = await yitong(['audit', 'checkpoint']); // no --out: the checkpoint on stdout
    expect(stdoutCp.code).toBe(0);
    expect(json(stdoutCp)).toMatchObject({ seq: cp.seq, hash: cp.hash, key_id: cp.key_id });

    const ok = await yitong(['audit', 'verify', '--checkpoint', file, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok)).toMatchObject({ ok: true, seq: cp.seq });
    // a directory: every checkpoint-<seq>.json in it
    fs.copyFileSync(file, path.join(dir, `checkpoint-${cp.seq as number}.json`));
    expect((await yitong(['audit', 'verify', '--checkpoint', dir])).code).toBe(0);

    // altered checkpoint
    const altered = path.join(dir, 'altered.json');
    fs.writeFileSync(altered, JSON.stringify({ ...cp, seq: (cp.seq as number) - 1 }));
    const bad = await yitong(['audit', 'verify', '--checkpoint', altered]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/检查点签名无效.*signature is invalid.*bad_signature/);

    // checked against another public key (or: a checkpoint signed by another key)
    const other = CheckpointSigner.fromMasterKey(Buffer.alloc(32, 7)).publicKey;
    const wrong = await yitong(['audit', 'verify', '--checkpoint', file, '--public-key', other, '--json']);
    expect(wrong.code).toBe(1);
    expect(json(wrong)).toMatchObject({ ok: false, reason: 'wrong_key' });

    // the newest record deleted and the head moved back
    await withDb(async (db) => {
      const seq = cp.seq as number;
      const prev = await sql<{ hash: string }>`select hash from audit_log where seq = ${seq - 1}`.execute(db);
      await sql`delete from audit_log where seq >= ${seq}`.execute(db);
      await sql`update audit_head set seq = ${seq - 1}, hash = ${prev.rows[0]?.hash ?? '0'.repeat(64)} where chain = 1`.execute(db);
    });
    expect((await yitong(['audit', 'verify', '--json'])).code).toBe(0); // the chain alone looks fine
    const cut = await yitong(['audit', 'verify', '--checkpoint', file]);
    expect(cut.code).toBe(1);
    expect(cut.stdout).toMatch(/审计链已被截断.*truncated/);

    // and continued: the record at the checkpoint's seq is another one
    expect((await yitong(['department', 'add', '--code', 'JT', '--name', 'JT'])).code).toBe(0);
    const rewound = await yitong(['audit', 'verify', '--checkpoint', file, '--json']);
    expect(rewound.code).toBe(1);
    expect(json(rewound)).toMatchObject({ ok: false, reason: 'rewound' });
    // a checkpoint signed over the rewritten head does not hide it: a directory's every checkpoint is checked
    expect((await yitong(['department', 'add', '--code', 'SW', '--name', 'SW'])).code).toBe(0);
    const resigned = await yitong(['audit', 'checkpoint', '--json']);
    expect(json(resigned).seq).toBeGreaterThan(cp.seq as number);
    fs.writeFileSync(path.join(dir, `checkpoint-${json(resigned).seq as number}.json`), resigned.stdout);
    const inDir = await yitong(['audit', 'verify', '--checkpoint', dir, '--json']);
    expect(inDir.code).toBe(1);
    expect(json(inDir)).toMatchObject({ ok: false, reason: 'rewound', seq: cp.seq, checkpoint: path.join(dir, `checkpoint-${cp.seq as number}.json`) });
    // and a checkpoint file is never overwritten
    const again = await yitong(['audit', 'checkpoint', '--out', file]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/检查点文件已存在.*not overwritten/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(cp);

    const missing = await yitong(['audit', 'verify', '--checkpoint', path.join(dir, 'nope.json')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/找不到检查点.*no checkpoint/);

    const purge = await yitong(['audit', 'purge', '--json']);
    expect(purge.code, purge.stderr).toBe(0);
    expect(json(purge)).toMatchObject({ deleted: 0, throughSeq: null });
  }, 300_000); // a dozen CLI processes, each opening the database
});
