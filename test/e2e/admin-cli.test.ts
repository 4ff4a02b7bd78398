// `yitong admin grant|revoke|list` and `client add --admin-role` through the real command (a child
// process), as an operator's script uses them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { PASSWORD, ID_A } from '../helpers/fixtures.ts';


let t: TestDatabase;

const yitong = (args: string[], stdin = '') => runCli(args, cliEnv(t, { LOG_LEVEL: 'silent' }), { stdin });

beforeAll(async () => {
  t = await createTestDatabase();
  expect((await yitong(['department', 'add', '--code', 'GA', '--name', '公安局'])).code).toBe(0);
  expect((await yitong(['person', 'add', '--id-number', ID_A, '--name', '王管理', '--password-stdin'], PASSWORD)).code).toBe(0);
});
afterAll(() => t?.cleanup());

describe('yitong admin', () => {
  it('grants, lists and revokes roles; system and audit never together', async () => {
    const g = await yitong(['admin', 'grant', '--id-number', ID_A, '--role', 'system', '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toMatchObject({ role: 'system', department: null, changed: true });
    const refused = await yitong(['admin', 'grant', '--id-number', ID_A, '--role', 'audit', '--json']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('admin.role_exclusive');
    expect((await yitong(['admin', 'grant', '--id-number', ID_A, '--role', 'department', '--department', 'GA'])).code).toBe(0);
    expect((await yitong(['admin', 'grant', '--id-number', ID_A, '--role', 'department', '--department', 'NOPE'])).code).not.toBe(0);
    const list = JSON.parse((await yitong(['admin', 'list', '--json'])).stdout) as { admins: { holder: { id_number: string }; role: string; department: string | null }[] };
    expect(list.admins.map((a) => [a.role, a.department, a.holder.id_number])).toEqual([
      ['system', null, '110105********002X'],
      ['department', 'GA', '110105********002X'],
    ]);
    expect((await yitong(['admin', 'revoke', '--id-number', ID_A, '--role', 'system'])).code).toBe(0);
    expect((await yitong(['admin', 'revoke', '--id-number', ID_A, '--role', 'system'])).code).not.toBe(0);
  });

  it('registers an automation client with --admin-role, and refuses one that cannot use client_credentials', async () => {
    const ok = await yitong(['client', 'add', '--name', '运维脚本', '--grant-type', 'client_credentials', '--admin-role', 'department', '--department', 'GA', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ admin_role: 'department', client_secret: expect.any(String) });
    const bad = await yitong(['client', 'add', '--name', '网办', '--redirect-uri', 'https://a.example/cb', '--admin-role', 'security', '--json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('admin.client_not_automation');
    const clients = JSON.parse((await yitong(['client', 'list', '--json'])).stdout) as { clients: { name: string }[] };
    expect(clients.clients.map((c) => c.name)).toEqual(['运维脚本']); // nothing was created for the refused one
  });
});
