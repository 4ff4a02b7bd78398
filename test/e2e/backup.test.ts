// `yitong backup` and `yitong restore` on the embedded database, with the real `yitong` command
// (bin/yitong.js) and real servers: a backup taken while the server runs (and serves a sign-in),
// restored into a fresh DATA_DIR, where the same person signs in and the audit chain verifies.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { BIN, ROOT, cliEnv, killRunningCli, runCli, type CliRun } from '../helpers/cli.ts';
import { freePort } from '../helpers/server.ts';
import { HttpUser, formAction, formFields } from '../helpers/http-user.ts';
import { PASSWORD, ID_A } from '../helpers/fixtures.ts';

const REDIRECT = 'https://rs.example.gov.cn/cb';

type Run = CliRun;

const dirs: string[] = [];
const tempDir = (name: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `yitong-${name}-`));
  dirs.push(d);
  return d;
};

const children = new Set<ChildProcess>();
afterEach(async () => {
  await Promise.all(
    [...children].map((child) => {
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** the embedded database only: no DATABASE_URL */
const envFor = (dataDir: string, extra: Record<string, string> = {}) => cliEnv({ dataDir }, extra);

afterEach(killRunningCli);

function yitong(dataDir: string, args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return runCli(args, envFor(dataDir, opts.env), { stdin: opts.stdin });
}

function json(r: Run): Record<string, unknown> {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.trim()) as Record<string, unknown>;
}

function jsonError(r: Run): { error: string; message: string } {
  expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1]) as { error: string; message: string };
}

async function serve(dataDir: string): Promise<{ issuer: string; stop(): Promise<void> }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env: envFor(dataDir, { PORT: String(port), ISSUER: issuer, LOG_LEVEL: 'warn' }), stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('close', () => children.delete(child));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`yitong serve exited with ${child.exitCode}: ${err}`);
    if ((await fetch(`${issuer}/readyz`).then((res) => res.status, () => 0)) === 200) break;
    if (Date.now() > deadline) throw new Error(`yitong serve not ready after 90 s: ${err}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    issuer,
    async stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
  };
}

/** A password sign-in through the authorization code flow; resolves with the ID token's subject. */
async function signIn(issuer: string, client: { client_id: string; client_secret: string }): Promise<string> {
  const rp = await oidc.discovery(new URL(issuer), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
  const user = new HttpUser();
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const page = await user.follow(url.toString(), REDIRECT);
  const html = await page.res.text();
  const done = await user.postForm(new URL(formAction(html, '/login'), issuer).toString(), { ...formFields(html), identifier: ID_A, password: PASSWORD }, REDIRECT);
  expect(done.url.startsWith(REDIRECT), `ended at ${done.url}`).toBe(true);
  const tokens = await oidc.authorizationCodeGrant(rp, new URL(done.url), { pkceCodeVerifier: verifier, idTokenExpected: true });
  return tokens.claims()!.sub;
}

describe('yitong backup and restore (embedded database)', () => {
  it('backs up while the server runs and signs in; a restore into a fresh DATA_DIR signs the same person in and verifies the audit chain (and the last checkpoint)', { timeout: 400_000 }, async () => {
    const live = tempDir('live');
    const server = await serve(live);
    expect(json(await yitong(live, ['department', 'add', '--code', 'RS', '--name', '人社局', '--json']))).toMatchObject({ code: 'RS' });
    const client = json(await yitong(live, ['client', 'add', '--name', '社保系统', '--redirect-uri', REDIRECT, '--department', 'RS', '--json'])) as { client_id: string; client_secret: string };
    const { sub } = json(await yitong(live, ['person', 'add', '--id-number', ID_A, '--name', '张三', '--password-stdin', '--json'], { stdin: PASSWORD })) as { sub: string };
    expect(await signIn(server.issuer, client)).toBe(sub);

    // the last checkpoint before the backup, kept outside the database as an operator would
    const checkpoint = path.join(tempDir('checkpoints'), 'checkpoint.json');
    json(await yitong(live, ['audit', 'checkpoint', '--out', checkpoint, '--json']));

    // the backup runs on the server's database, beside a sign-in that writes (sessions, audit)
    const file = path.join(tempDir('out'), 'yitong.backup');
    const [backup, during] = await Promise.all([yitong(live, ['backup', '--out', file, '--json']), signIn(server.issuer, client)]);
    expect(during).toBe(sub);
    const made = json(backup);
    expect(made).toMatchObject({ file, migration: expect.stringMatching(/^\d{4}_/), suite: process.env.CRYPTO_SUITE ?? 'intl', fingerprint: expect.any(String) });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(file).size).toBe(made.bytes);
    // who took a copy of everyone's data is on the record (after the copy, so in the live database only)
    const audited = json(await yitong(live, ['audit', 'list', '--event', 'backup.create', '--json'])).records as { actor: string; detail: { file: string } }[];
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/), detail: { file } });

    // never under a running server
    const refused = jsonError(await yitong(live, ['restore', file, '--force', '--json']));
    expect(refused.error).toBe('backup.server_running');
    expect(refused.message).toContain('请先停止服务');
    expect(refused.message).toContain('stop it before restoring');
    await server.stop();

    const fresh = tempDir('restored');
    const restored = json(await yitong(fresh, ['restore', file, '--json']));
    expect(restored).toMatchObject({ restored: true, replaced: false, migration: made.migration, created: made.created });
    expect(fs.readdirSync(fresh).filter((f) => f.startsWith('pgdata'))).toEqual(['pgdata']); // no temp dir left behind
    // a second restore into a DATA_DIR that now has a database needs --force
    expect(jsonError(await yitong(fresh, ['restore', file, '--json'])).error).toBe('backup.target_not_empty');
    expect(json(await yitong(fresh, ['restore', file, '--force', '--json']))).toMatchObject({ restored: true, replaced: true });

    const again = await serve(fresh);
    expect(await signIn(again.issuer, client)).toBe(sub);
    expect(json(await yitong(fresh, ['audit', 'list', '--event', 'backup.create', '--json'])).records).toEqual([]);
    const verified = json(await yitong(fresh, ['audit', 'verify', '--json']));
    expect(verified).toMatchObject({ ok: true });
    expect(verified.records).toBeGreaterThan(3);
    // the restored chain still reaches the head signed before the backup
    expect(json(await yitong(fresh, ['audit', 'verify', '--checkpoint', checkpoint, '--json']))).toMatchObject({ ok: true });
    await again.stop();
  });

  it('refuses a tampered or truncated file, or another master key, and writes nothing', { timeout: 120_000 }, async () => {
    const live = tempDir('small');
    json(await yitong(live, ['department', 'add', '--code', 'GA', '--name', '公安局', '--json']));
    const file = path.join(tempDir('out'), 'small.backup');
    json(await yitong(live, ['backup', '--out', file, '--json'])); // no server: the command opens the database itself
    const bytes = fs.readFileSync(file);

    const tampered = Buffer.from(bytes);
    tampered[Math.floor(tampered.length / 2)] ^= 0x40;
    fs.writeFileSync(`${file}.tampered`, tampered);
    fs.writeFileSync(`${file}.truncated`, bytes.subarray(0, bytes.length - 1000));
    for (const bad of [`${file}.tampered`, `${file}.truncated`]) {
      const target = tempDir('target');
      const err = jsonError(await yitong(target, ['restore', bad, '--json']));
      expect(err.error).toBe('backup.damaged');
      expect(err.message).toContain('未写入任何数据');
      expect(err.message).toContain('nothing was written');
      expect(fs.readdirSync(target)).toEqual([]);
    }
    const target = tempDir('target');
    const otherKey = crypto.randomBytes(32).toString('base64');
    const wrong = jsonError(await yitong(target, ['restore', file, '--json'], { env: { YITONG_MASTER_KEY: otherKey } }));
    expect(wrong.error).toBe('backup.wrong_key');
    expect(wrong.message).toContain('YITONG_MASTER_KEY');
    expect(fs.readdirSync(target)).toEqual([]);
    // a fresh DATA_DIR without the key is told to bring it, not given a new one
    const nokey = jsonError(await yitong(target, ['restore', file, '--json'], { env: { YITONG_MASTER_KEY: '' } }));
    expect(nokey.error).toBe('backup.no_master_key');
    expect(fs.readdirSync(target)).toEqual([]);

    // a restore killed between its two renames: the old database beside DATA_DIR, no pgdata. Nothing
    // opens it (that would make an empty database); restoring again puts the backup in place.
    const killed = tempDir('killed');
    fs.renameSync(path.join(live, 'pgdata'), path.join(killed, 'pgdata.replaced-4242'));
    const refused = jsonError(await yitong(killed, ['audit', 'verify', '--json']));
    expect(refused.error).toBe('backup.restore_interrupted');
    expect(refused.message).toMatch(/恢复被中断.*pgdata\.replaced-4242[\s\S]*was interrupted/);
    expect(fs.existsSync(path.join(killed, 'pgdata'))).toBe(false);
    json(await yitong(killed, ['restore', file, '--force', '--json']));
    expect(json(await yitong(killed, ['audit', 'verify', '--json']))).toBeTruthy();
  });

  it('refuses on PostgreSQL and points to the operations guide', async () => {
    const dir = tempDir('pg');
    // the refusal comes before any connection: no database listens at this address
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    for (const args of [['backup', '--out', path.join(dir, 'x.backup')], ['restore', path.join(dir, 'x.backup')]]) {
      const err = jsonError(await yitong(dir, [...args, '--json'], { env }));
      expect(err.error).toBe('backup.postgres');
      expect(err.message).toContain('pg_basebackup');
      expect(err.message).toContain('README.md');
    }
  });
});
