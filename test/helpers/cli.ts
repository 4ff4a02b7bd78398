// Runs bin/yitong.js as an operator does: a child process with a clean environment (nothing from the
// test runner or the developer's shell leaks in), its stdout and stderr collected.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_CRYPTO_ENV, TEST_MASTER_KEY } from './db.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/yitong.js');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of an administrator's shell for this database: '' in `extra` unsets a variable. */
export function cliEnv(t: { dataDir: string; databaseUrl?: string }, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? os.tmpdir(), DATA_DIR: t.dataDir, YITONG_MASTER_KEY: TEST_MASTER_KEY, ...TEST_CRYPTO_ENV, ...extra };
  if (t.databaseUrl) env.DATABASE_URL = t.databaseUrl;
  for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
  return env;
}

/** CLI processes still running: kill them after each test, so one that timed out does not hold DATA_DIR for the next. */
const running = new Set<ChildProcess>();

export async function killRunningCli(): Promise<void> {
  await Promise.all(
    [...running].map((child) => {
      const exited = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGKILL');
      return exited;
    }),
  );
}

export interface CliOptions {
  stdin?: string;
  /** sees stderr as it grows (with the child, to kill it at a chosen moment) */
  onStderr?: (stderrSoFar: string, child: ChildProcess) => void;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // a child that exits before reading stdin
    child.stdin.end(opts.stdin ?? '');
  });
}
