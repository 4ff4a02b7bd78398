// Child processes of the bench: forked with IPC, request/reply by id, and never left behind: every
// child is stopped at the end, killed if it does not stop, and killed when the bench itself exits
// for any reason (error, signal).
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

type Reply = { type: string; id?: number; error?: string; [k: string]: unknown };

export class Child {
  readonly proc: ChildProcess;
  readonly name: string;
  #nextId = 1;
  #waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  #exited: Promise<number | null>;

  private constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.proc = proc;
    live.add(proc);
    this.#exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        const err = new Error(`${name} exited (${signal ?? code}) while a request was pending`);
        for (const w of this.#waiting.values()) w.reject(err);
        this.#waiting.clear();
        resolve(code);
      });
    });
    proc.on('message', (msg: Reply) => {
      if (msg.id === undefined) return;
      const w = this.#waiting.get(msg.id);
      if (!w) return;
      this.#waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(`${name}: ${msg.error}`));
      else w.resolve(msg);
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Forks bench/<script> and waits for its {type:'ready'} message (or its death). */
  static async start(name: string, script: string, opts: { args?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ child: Child; ready: Reply }> {
    const proc = fork(path.join(here, '..', script), opts.args ?? [], {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // the same node (node@24 from devDependencies), type stripping on by default in 24
      execPath: process.execPath,
      execArgv: [],
    });
    const child = new Child(name, proc);
    const ready = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} not ready after ${opts.timeoutMs ?? 120_000} ms`)), opts.timeoutMs ?? 120_000);
      proc.on('message', (msg: Reply) => {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          resolve(msg);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited during start-up (${signal ?? code})`));
      });
    }).catch(async (err: Error) => {
      await child.stop();
      throw err;
    });
    return { child, ready };
  }

  request(type: string, fields: Record<string, unknown> = {}, timeoutMs = 300_000): Promise<Reply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (!this.proc.connected) return reject(new Error(`${this.name} is not running`));
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.name}: no reply to ${type} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ type, id, ...fields });
    });
  }

  /** Asks the child to stop; kills it after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.proc.connected) this.proc.send({ type: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          if (proc.connected) proc.send({ type: 'stop' });
          else proc.kill('SIGTERM');
          setTimeout(() => proc.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
}
