// `yitong crypto reseal` against running servers on PostgreSQL: intl -> gm with the reseal process
// killed (SIGKILL) in the middle and run again, a person signing in before, during and after; then
// gm -> intl. PostgreSQL only: on the embedded database the reseal runs with the server stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import pg from 'pg';
import { startTestServer, freePort, type TestServer } from '../helpers/server.ts';
import { TEST_MASTER_KEY } from '../helpers/db.ts';
import { cliEnv, runCli, type CliRun } from '../helpers/cli.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { idNumber } from '../helpers/admin.ts';
import { client, department, person, PASSWORD, ID_A } from '../helpers/fixtures.ts';
import { loadConfig } from '../../src/config/env.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createPerson } from '../../src/accounts/service.ts';

const REDIRECT = 'https://ga.example.gov.cn/callback';
let s: TestServer;
let app: { client_id: string; client_secret?: string };
const nodes: RunningServer[] = [];

/** Runs the CLI with the nodes' environment; `killAfter`: SIGKILL once stderr shows that many committed batches. */
function yitong(args: string[], suite: string, killAfter?: number): Promise<CliRun> {
  return runCli(args, cliEnv({ dataDir: s.config.dataDir, databaseUrl: s.config.databaseUrl }, { CRYPTO_SUITE: suite }), {
    onStderr: (stderr, child) => {
      if (killAfter && (stderr.match(/rows read/g) ?? []).length >= killAfter) child.kill('SIGKILL');
    },
  });
}

/** A node on the same database with these settings. */
async function node(suite: string): Promise<string> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const n = await startServer(loadConfig({ NODE_ENV: 'test', PORT: String(port), ISSUER: issuer, DATABASE_URL: s.config.databaseUrl!, DATA_DIR: s.config.dataDir, YITONG_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'silent', CRYPTO_SUITE: suite }));
  nodes.push(n);
  return issuer;
}

/** The person signs in with ID number and password at that node: the app gets a code. */
async function signsIn(issuer: string): Promise<void> {
  const rp = await oidc.discovery(new URL(issuer), app.client_id, app.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
  const user = new HttpUser();
  const page = await user.follow(url.toString(), REDIRECT);
  const html = await page.res.text();
  const done = await user.postForm(new URL(formAction(html, '/login'), issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, REDIRECT);
  expect(done.url, `sign-in at ${issuer}`).toContain('code=');
}

describe.skipIf(!process.env.DATABASE_URL)('crypto reseal while nodes serve (PostgreSQL)', () => {
  beforeAll(async () => {
    s = await startTestServer({ CRYPTO_SUITE: 'intl', LOGIN_DELAY_AFTER: '0' });
    await department(s);
    app = await client(s, { department: 'GA', redirectUris: [REDIRECT] });
    await person(s);
    for (let i = 0; i < 40; i++) await createPerson(s.app, { idNumber: idNumber(`11010519900101${100 + i}`), name: `测试${i}`, phone: `1390000${String(1000 + i)}` }, 'test');
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await s?.close();
  });

  it('intl -> gm, killed mid-way and resumed, sign-ins throughout; then gm -> intl', { timeout: 180_000 }, async () => {
    await signsIn(s.issuer);
    const prepared = await yitong(['crypto', 'reseal', '--suite', 'gm', '--prepare', '--json'], 'intl');
    expect(prepared.code, prepared.stderr).toBe(0);
    // nodes restart with the target settings; a node with the old ones is refused
    const gmNode = await node('gm');
    await expect(node('intl')).rejects.toThrow(/reseal|重新加密/);
    await signsIn(gmNode);

    const killed = await yitong(['crypto', 'reseal', '--suite', 'gm', '--batch', '2'], 'gm', 3);
    expect(killed.signal).toBe('SIGKILL');
    const mid = JSON.parse((await yitong(['crypto', 'status', '--counts', '--json'], 'gm')).stdout);
    expect(mid.reseal.cursor.entry).toBe('persons');
    expect(mid.counts['persons.id_number_enc'].g1).toBeGreaterThan(0);
    expect(mid.counts['persons.id_number_enc'].v1).toBeGreaterThan(0);
    await signsIn(gmNode);

    // one reseal at a time: while another process holds the reseal lock, a second one is refused
    const holder = new pg.Client({ connectionString: s.config.databaseUrl });
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(hashtext('yitong.crypto.reseal'))");
      const second = await yitong(['crypto', 'reseal', '--suite', 'gm', '--json'], 'gm');
      expect(second.code).toBe(1);
      expect(JSON.parse(second.stderr.trim().split('\n').pop()!)).toMatchObject({ error: 'crypto.reseal_running', message: expect.stringContaining('Another reseal is running') });
    } finally {
      await holder.end();
    }

    // the killed process's lock went with its connection: the resume is not blocked
    const resumed = await yitong(['crypto', 'reseal', '--suite', 'gm', '--batch', '7', '--json'], 'gm');
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = JSON.parse((await yitong(['crypto', 'status', '--counts', '--json'], 'gm')).stdout);
    expect(after.reseal).toBeNull();
    expect(after.data.suite).toBe('gm');
    for (const [column, n] of Object.entries(after.counts as Record<string, { v1: number }>)) expect(n.v1, column).toBe(0);
    await signsIn(gmNode);
    await signsIn(await node('gm'));

    // and back: the CLI runs with the old settings and names the target
    const back = await yitong(['crypto', 'reseal', '--suite', 'intl', '--json'], 'gm');
    expect(back.code, back.stderr).toBe(0);
    await signsIn(await node('intl'));

    // records written under intl, then gm, then intl name their MAC key: the chain verifies across suites
    const verified = await yitong(['audit', 'verify', '--json'], 'intl');
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true });
    const keyIds = await yitong(['audit', 'list', '--limit', '1000', '--json'], 'intl');
    expect(keyIds.code, keyIds.stderr).toBe(0);
    const ids = new Set((JSON.parse(keyIds.stdout).records as { keyId: string }[]).map((r) => r.keyId.split('-')[0]));
    expect([...ids].sort()).toEqual(['gm', 'intl']);
  });
});
