// `npm run loadtest` against a real server on loopback: a short, bounded open-loop run per case
// reports every request answered with no errors; a target outside loopback is refused before any
// request is sent.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { client, department } from '../helpers/fixtures.ts';

const run = promisify(execFile);
const loadtest = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['bench/loadtest.ts', ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

let s: TestServer;
let app: { client_id: string; client_secret?: string };

beforeAll(async () => {
  s = await startTestServer();
  await department(s, 'SJ', '数据局');
  app = await client(s, { redirectUris: [], grantTypes: ['client_credentials'], department: 'SJ' });
}, 60_000);
afterAll(() => s?.close());

describe('npm run loadtest', () => {
  it.each(['discovery', 'client_credentials', 'introspection'])('%s: a fixed rate for 2 s, every request answered 2xx, latency reported', async (name) => {
    const r = await loadtest(['--url', s.issuer, '--case', name, '--rate', '25', '--duration', '2', '--connections', '4', '--client-id', app.client_id, '--json'], { LOADTEST_CLIENT_SECRET: app.client_secret! });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.case).toBe(name);
    expect(out.requests).toBeGreaterThanOrEqual(25); // 25/s for 2 s, give or take the first second
    expect(out.requests).toBeLessThanOrEqual(75); // open loop: the rate is held, not exceeded
    expect(out.ok_2xx).toBe(out.requests);
    expect(out.error_rate).toBe(0);
    expect(out.latency_ms.p99).toBeGreaterThanOrEqual(out.latency_ms.p50);
  }, 60_000);

  it('refuses a target outside loopback unless told, and says how', async () => {
    const r = await loadtest(['--url', 'http://192.0.2.10:3000', '--duration', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-remote');
    expect(r.stderr).toContain('不在本机回环地址');
  });

  it('explains bad options instead of a stack trace', async () => {
    for (const args of [['--url', s.issuer, '--rate', '0'], ['--url', s.issuer, '--case', 'nope'], ['--url', 'not a url'], ['--url', s.issuer, '--case', 'client_credentials']]) {
      const r = await loadtest([...args, '--duration', '1']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^loadtest: .+\nloadtest: .+/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('counts refused requests as errors and exits 1 above the allowed rate', async () => {
    const r = await loadtest(['--url', s.issuer, '--case', 'introspection', '--token', 'not-a-token', '--client-id', app.client_id, '--client-secret', 'wrong', '--rate', '10', '--duration', '1', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.non_2xx).toBe(out.requests);
    expect(r.stderr).toContain('error rate');
  }, 60_000);
});
