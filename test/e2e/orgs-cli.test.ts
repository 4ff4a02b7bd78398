// `yitong org ...` as an administrator's script uses it (bin/yitong.js in a child process): --json
// on stdout, bilingual JSON errors on stderr, nothing changed on bad input. On the embedded
// database, and on PostgreSQL when DATABASE_URL is set, where a revocation from the command line
// also reaches a running server's apps (back-channel logout, refresh refused).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { createTestDatabase, TEST_CRYPTO_ENV, TEST_MASTER_KEY } from '../helpers/db.ts';
import { cliEnv, runCli, type CliRun } from '../helpers/cli.ts';
import { freePort } from '../helpers/server.ts';
import { startBackchannelReceiver, type BackchannelReceiver } from '../helpers/backchannel.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { PASSWORD } from '../helpers/fixtures.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { loadConfig } from '../../src/config/env.ts';
import { startServer, type RunningServer } from '../../src/server.ts';

const REP = '110101198001010010';
const AGENT = '310101199003070027';
const NEW_REP = '440304198512120031';
const STRANGER = '320102197006150048';
const ORG = '91350100M000100Y43';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

interface Target {
  databaseUrl?: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

/** the CLI reads the same environment as the server: its logout tokens name the same issuer */
function yitong(t: Target & { issuer?: string }, args: string[], stdin = ''): Promise<CliRun> {
  return runCli(args, cliEnv(t, { NODE_ENV: 'test', ...(t.issuer ? { ISSUER: t.issuer } : {}) }), { stdin });
}

function json(r: CliRun): Record<string, unknown> {
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

function jsonError(r: CliRun): { error: string; message: string } {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  const e = JSON.parse(lines[lines.length - 1]) as { error: string; message: string };
  expect(e.message).toMatch(/[\u4e00-\u9fff].* \/ [A-Za-z]/);
  return e;
}

async function counts(t: Target) {
  const handle = await openDatabase({ databaseUrl: t.databaseUrl, dataDir: t.dataDir }, { poolSize: 1 });
  try {
    const n = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(handle.db)).rows[0].n);
    return { orgs: await n('orgs'), authorizations: await n('org_authorizations') };
  } finally {
    await handle.close();
  }
}

const targets: [string, () => Promise<Target>][] = [
  [
    'embedded (PGlite)',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'yitong-orgs-cli-'));
      return { dataDir, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
    },
  ],
];
if (process.env.DATABASE_URL) targets.push(['PostgreSQL', () => createTestDatabase()]);

describe.each(targets)('yitong org on %s', (_kind, make) => {
  let t: Target;

  beforeAll(async () => {
    t = await make();
    for (const [id, name] of [[REP, '李法人'], [AGENT, '王经办'], [NEW_REP, '赵继任']]) {
      json(await yitong(t, ['person', 'add', '--id-number', id, '--name', name, '--password-stdin', '--json'], PASSWORD));
    }
  }, 180_000);

  afterAll(async () => {
    await t?.cleanup();
  });

  it('org add --json -> {"org_id"}; bad input is refused with nothing added', { timeout: 180_000 }, async () => {
    const r = json(await yitong(t, ['org', 'add', '--uscc', ORG.toLowerCase(), '--name', '福州一通科技有限公司', '--legal-rep', REP, '--json']));
    expect(r.org_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r).toMatchObject({ uscc: ORG, org_code: 'M000100Y4', type: 'enterprise' });
    expect(r.org_sub).not.toBe(ORG);
    const before = await counts(t);
    expect(jsonError(await yitong(t, ['org', 'add', '--uscc', '91350100M000100Y44', '--name', 'x', '--legal-rep', REP, '--json'])).error).toBe('uscc.check_char');
    expect(jsonError(await yitong(t, ['org', 'add', '--uscc', '91310115MA1FL00079', '--name', 'x', '--legal-rep', STRANGER, '--json'])).error).toBe('org.person_unknown');
    expect(jsonError(await yitong(t, ['org', 'add', '--uscc', ORG, '--name', 'x', '--legal-rep', REP, '--json'])).error).toBe('org.exists');
    expect(await counts(t)).toEqual(before);
    // without --json: a readable error on stderr, exit 1
    const plain = await yitong(t, ['org', 'add', '--uscc', 'ABC', '--name', 'x', '--legal-rep', REP]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('统一社会信用代码应为 18 位 / A unified social credit code has 18 characters');
  });

  it('org grant: active at once, with a validity; errors change nothing', { timeout: 180_000 }, async () => {
    const until = `${new Date().getFullYear() + 1}-12-31`;
    const r = json(await yitong(t, ['org', 'grant', '--uscc', ORG, '--agent', AGENT, '--until', until, '--json']));
    expect(r).toMatchObject({ status: 'active', role: 'agent', valid_until: until, renewed: false });
    const before = await counts(t);
    expect(jsonError(await yitong(t, ['org', 'grant', '--uscc', ORG, '--agent', STRANGER, '--json'])).error).toBe('org.person_unknown');
    expect(jsonError(await yitong(t, ['org', 'grant', '--uscc', ORG, '--agent', NEW_REP, '--until', '2001-01-01', '--json'])).error).toBe('org.until_past');
    expect(await counts(t)).toEqual(before);
    const pending = json(await yitong(t, ['org', 'grant', '--uscc', ORG, '--agent', NEW_REP, '--pending', '--json']));
    expect(pending.status).toBe('pending');
  });

  it('org show lists the org with masked ID numbers', async () => {
    const r = json(await yitong(t, ['org', 'show', '--uscc', ORG, '--json']));
    expect(r).toMatchObject({ uscc: ORG, name: '福州一通科技有限公司', legal_rep: { id_number: '110101********0010' } });
    expect(JSON.stringify(r)).not.toContain(AGENT);
    expect((r.authorizations as { state: string }[]).map((a) => a.state).sort()).toEqual(['active', 'pending']);
    // found by the pre-2015 organisation code too
    expect(json(await yitong(t, ['org', 'show', '--org-code', 'M000100Y-4', '--json']))).toMatchObject({ uscc: ORG });
  });

  it('org revoke, org set-legal-rep and org set-status', { timeout: 180_000 }, async () => {
    const r = json(await yitong(t, ['org', 'revoke', '--uscc', ORG, '--agent', NEW_REP, '--json']));
    expect(r).toMatchObject({ status: 'revoked', grants_revoked: 0 });
    expect(jsonError(await yitong(t, ['org', 'revoke', '--uscc', ORG, '--agent', NEW_REP, '--json'])).error).toBe('org.authorization_unknown');
    const c = json(await yitong(t, ['org', 'set-legal-rep', '--uscc', ORG, '--legal-rep', NEW_REP, '--json']));
    expect(c).toMatchObject({ legal_rep_changed: true });
    expect(jsonError(await yitong(t, ['org', 'set-legal-rep', '--uscc', ORG, '--legal-rep', NEW_REP, '--json'])).error).toBe('org.legal_rep_unchanged');
    const s = json(await yitong(t, ['org', 'set-status', '--uscc', ORG, '--status', 'suspended', '--json']));
    expect(s).toMatchObject({ status: 'suspended', changed: true });
    json(await yitong(t, ['org', 'set-status', '--uscc', ORG, '--status', 'active', '--json']));
  });

  it('client add accepts the token exchange grant type', async () => {
    const r = json(await yitong(t, ['client', 'add', '--name', '后端', '--redirect-uri', 'https://a.example.gov.cn/cb', '--grant-type', 'authorization_code', '--grant-type', TOKEN_EXCHANGE, '--json']));
    expect(typeof r.client_secret).toBe('string');
  });

  it('the audit chain verifies', async () => {
    expect(json(await yitong(t, ['audit', 'verify', '--json']))).toMatchObject({ ok: true });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('a revocation from the command line while the server runs (PostgreSQL)', () => {
  let t: Target & { issuer?: string };
  let server: RunningServer;
  let backchannel: BackchannelReceiver;

  beforeAll(async () => {
    const port = await freePort();
    t = { ...(await createTestDatabase()), issuer: `http://127.0.0.1:${port}` };
    backchannel = await startBackchannelReceiver();
    server = await startServer(
      loadConfig({ NODE_ENV: 'test', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, DATABASE_URL: t.databaseUrl, DATA_DIR: t.dataDir, YITONG_MASTER_KEY: TEST_MASTER_KEY, LOG_LEVEL: 'silent', ...TEST_CRYPTO_ENV }),
    );
    for (const [id, name] of [[REP, '李法人'], [AGENT, '王经办']]) json(await yitong(t, ['person', 'add', '--id-number', id, '--name', name, '--password-stdin', '--json'], PASSWORD));
    json(await yitong(t, ['department', 'add', '--code', 'SCJG', '--name', '市场监管局', '--json']));
    json(await yitong(t, ['org', 'add', '--uscc', ORG, '--name', '福州一通科技有限公司', '--legal-rep', REP, '--json']));
    json(await yitong(t, ['org', 'grant', '--uscc', ORG, '--agent', AGENT, '--json']));
  });

  afterAll(async () => {
    await backchannel?.close();
    await server?.stop();
    await t?.cleanup();
  });

  it('ends the org context: back-channel logout reaches the app and its refresh token is refused', async () => {
    const issuer = server.url;
    const REDIRECT = 'https://scjg.example.gov.cn/cb';
    const app = json(
      await yitong(t, ['client', 'add', '--name', '企业开办', '--department', 'SCJG', '--redirect-uri', REDIRECT, '--backchannel-logout-uri', backchannel.url, '--json']),
    ) as { client_id: string; client_secret: string };
    const config = await oidc.discovery(new URL(issuer), app.client_id, app.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid legal_person offline_access',
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const user = new HttpUser();
    const loginPage = await user.follow(url.toString(), REDIRECT);
    const loginHtml = await loginPage.res.text();
    const selection = await user.postForm(new URL(formAction(loginHtml, '/login'), issuer).toString(), { ...formFields(loginHtml), identifier: AGENT, password: PASSWORD }, REDIRECT);
    const html = await selection.res.text();
    const done = await user.postForm(new URL(formAction(html, '/select-entity'), issuer).toString(), { ...formFields(html), entity: ORG }, REDIRECT);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: verifier });
    expect(tokens.claims()).toMatchObject({ uscc: ORG, org_role: 'agent' });

    const r = json(await yitong(t, ['org', 'revoke', '--uscc', ORG, '--agent', AGENT, '--json']));
    expect(r).toMatchObject({ status: 'revoked', grants_revoked: 1, logouts_queued: 1 });
    // the running server's outbox worker delivers it
    await expect.poll(() => backchannel.tokens.length, { timeout: 10_000 }).toBe(1);
    const { payload } = await jose.jwtVerify(backchannel.tokens[0], jose.createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer, audience: app.client_id });
    expect(payload).toMatchObject({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid });
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
