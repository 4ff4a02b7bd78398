// The MFA parts of the real `yitong` command (bin/yitong.js in a child process): an app's minimum
// login strength and real-name level at `client add`, and `person reset-mfa` (audited, every
// session ended). On PostgreSQL when DATABASE_URL is set, else the embedded database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { PASSWORD, ID_A } from '../helpers/fixtures.ts';


let t: TestDatabase;

const yitong = (args: string[], stdin = '') => runCli(args, cliEnv(t), { stdin });

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.cleanup();
});

describe('yitong CLI: app policies and MFA reset', () => {
  it('client add --min-acr --min-real-name-level stores the policy; bad values are refused in both languages', async () => {
    expect((await yitong(['department', 'add', '--code', 'GA', '--name', '公安局', '--json'])).code).toBe(0);
    const r = await yitong(['client', 'add', '--name', '公积金', '--department', 'GA', '--redirect-uri', 'https://gjj.example.gov.cn/cb', '--min-acr', 'urn:yitong:acr:mfa', '--min-real-name-level', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { client_id } = JSON.parse(r.stdout) as { client_id: string };
    const handle = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir }, { poolSize: 1 });
    try {
      const row = await handle.db.selectFrom('clients').select('metadata').where('client_id', '=', client_id).executeTakeFirstOrThrow();
      expect(row.metadata).toMatchObject({ yitong_min_acr: 'urn:yitong:acr:mfa', yitong_min_real_name_level: 2 });
    } finally {
      await handle.close();
    }
    const bad = await yitong(['client', 'add', '--name', 'x', '--redirect-uri', 'https://x.example/cb', '--min-acr', 'urn:other', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stderr.trim().split('\n').pop()!)).toMatchObject({ error: 'client.min_acr_invalid' });
    const level = await yitong(['client', 'add', '--name', 'x', '--redirect-uri', 'https://x.example/cb', '--min-real-name-level', '7', '--json']);
    expect(level.code).not.toBe(0);
    expect(level.stderr).toContain('--min-real-name-level');
  });

  it('person reset-mfa --json reports what was removed and ended; an unknown person is an error', async () => {
    expect((await yitong(['person', 'add', '--id-number', ID_A, '--name', '张三', '--password-stdin', '--json'], PASSWORD)).code).toBe(0);
    const r = await yitong(['person', 'reset-mfa', '--id-number', ID_A, '--reason', '手机丢失，窗口核验身份', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ totp_removed: false, passkeys_removed: 0, recovery_codes_removed: 0, sessions_ended: 0 });
    const unknown = await yitong(['person', 'reset-mfa', '--id-number', '440524188001010014', '--json']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr.trim().split('\n').pop()!)).toMatchObject({ error: 'person.unknown' });
    const audit = await yitong(['audit', 'list', '--event', 'mfa.reset', '--json']);
    const records = (JSON.parse(audit.stdout) as { records: { actor: string; detail: Record<string, unknown> }[] }).records;
    expect(records).toHaveLength(1);
    expect(records[0].actor).toMatch(/^cli:/);
    expect(String(records[0].detail.reason)).toContain('窗口核验身份'); // (the audit log normalises punctuation)
  });

  it('lists reset-mfa in the help', async () => {
    const r = await yitong(['person', '--help']);
    expect(r.stdout + r.stderr).toContain('reset-mfa');
  });
});
