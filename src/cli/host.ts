// The embedded database admits one process per DATA_DIR, so while `yitong serve` runs on it, a
// `yitong ...` command is handed to the server over a Unix socket in DATA_DIR (owner-only, like the
// directory) and runs there on the server's open database. Messages are JSON lines:
//   client -> server  {argv, actor, cwd}            then, when asked, {stdin} (null on a terminal)
//   server -> client  {stderr} ... {stdin?: true} ... {stdout, exitCode}
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { CliUsageError, type CliIo } from './io.ts';
import type { CliOutput } from './run.ts';
import { logger } from '../log.ts';

export const socketPath = (dataDir: string) => path.join(dataDir, 'yitong.sock');

/** who asked: for the audit trail, and to resolve the files they name */
export interface Caller {
  actor: string;
  cwd: string;
}

type Run = (argv: string[], io: CliIo, caller: Caller) => Promise<CliOutput>;

const send = (socket: net.Socket, m: Record<string, unknown>) => socket.write(JSON.stringify(m) + '\n');

/** Serves commands on DATA_DIR/yitong.sock; resolves once listening, with a close function. */
export async function hostCommands(dataDir: string, run: Run): Promise<() => Promise<void>> {
  const file = socketPath(dataDir);
  fs.rmSync(file, { force: true }); // a leftover of a server that died; this process holds the lock now
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    const lines = readline.createInterface({ input: socket });
    let stdinWaiter: ((s: string | null) => void) | undefined;
    let started = false;
    lines.on('line', (line) => {
      let m: { argv?: unknown; actor?: unknown; cwd?: unknown; stdin?: unknown };
      try {
        m = JSON.parse(line);
      } catch {
        return socket.destroy();
      }
      if (!started && Array.isArray(m.argv) && m.argv.every((a) => typeof a === 'string') && typeof m.actor === 'string' && typeof m.cwd === 'string') {
        started = true;
        const io: CliIo = {
          stdin: () =>
            new Promise((resolve, reject) => {
              stdinWaiter = (s) => (s === null ? reject(new CliUsageError('--password-stdin: 请通过标准输入提供密码 / pipe the password on standard input')) : resolve(s));
              send(socket, { stdin: true });
            }),
          stderr: new Writable({
            write(chunk, _enc, cb) {
              send(socket, { stderr: String(chunk) });
              cb();
            },
          }),
        };
        logger.info({ command: m.argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' '), actor: m.actor }, 'command from the CLI');
        run(m.argv as string[], io, { actor: m.actor, cwd: m.cwd }).then(
          (out) => socket.end(JSON.stringify(out) + '\n'),
          (err: Error) => socket.end(JSON.stringify({ stdout: '', exitCode: 1, stderr: err.message }) + '\n'),
        );
      } else if (started && stdinWaiter && 'stdin' in m) {
        stdinWaiter(typeof m.stdin === 'string' ? m.stdin : null);
        stdinWaiter = undefined;
      } else socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, resolve);
  });
  fs.chmodSync(file, 0o600);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      fs.rmSync(file, { force: true });
    });
}

/**
 * Hands a command line to the server running on this DATA_DIR. Resolves with its exit code, or
 * undefined when no server listens there (the command then runs here).
 */
export async function handToServer(dataDir: string, argv: string[], caller: Caller, io: CliIo, stdout: Writable): Promise<number | undefined> {
  const socket = net.connect(socketPath(dataDir));
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
  });
  if (!connected) return undefined;
  send(socket, { argv, ...caller });
  return new Promise((resolve) => {
    let exitCode = 1;
    const lines = readline.createInterface({ input: socket });
    lines.on('line', (line) => {
      const m = JSON.parse(line) as { stderr?: string; stdin?: true; stdout?: string; exitCode?: number };
      if (m.stdin) {
        io.stdin().then(
          (s) => send(socket, { stdin: s }),
          () => send(socket, { stdin: null }),
        );
      } else if (typeof m.exitCode === 'number') {
        if (m.stderr) io.stderr.write(m.stderr + '\n');
        stdout.write(m.stdout ?? '');
        exitCode = m.exitCode;
      } else if (typeof m.stderr === 'string') io.stderr.write(m.stderr);
    });
    socket.on('close', () => resolve(exitCode));
    socket.on('error', () => resolve(1));
  });
}
