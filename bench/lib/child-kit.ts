// Shared by the bench's child processes: loopback-only listening, IPC helpers, optional per-case
// CPU profiles (node:inspector), and the parent-death watchdog.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Session } from 'node:inspector/promises';

/** Every server in a bench child listens on 127.0.0.1 only, whatever the code under test asks. */
export function forceLoopbackListen(): void {
  const listen = net.Server.prototype.listen as (this: net.Server, ...args: unknown[]) => net.Server;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) {
      const rest = args.slice(1).filter((a) => typeof a !== 'string');
      return listen.call(this, Number(args[0]), '127.0.0.1', ...rest);
    }
    if (args[0] && typeof args[0] === 'object' && !('path' in (args[0] as object))) {
      return listen.call(this, { ...(args[0] as net.ListenOptions), host: '127.0.0.1' }, ...args.slice(1));
    }
    return listen.apply(this, args);
  } as typeof net.Server.prototype.listen;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export type Message = { type: string; id?: number; [k: string]: unknown };

export function send(msg: Message): void {
  process.send?.(msg);
}

/**
 * Answers the parent's requests: `handlers[type](msg)` returns the reply's fields. Exits when the
 * parent goes away (the bench was killed): a bench child never outlives its bench.
 */
export function serve(handlers: Record<string, (msg: Message) => Promise<Record<string, unknown>> | Record<string, unknown>>, onExit: () => Promise<void>): void {
  let exiting = false;
  const exit = (code: number) => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    onExit()
      .catch(() => {})
      .finally(() => process.exit(code));
  };
  process.on('disconnect', () => exit(0));
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  process.on('message', (msg: Message) => {
    if (msg.type === 'stop') return exit(0);
    const h = handlers[msg.type];
    if (!h) return send({ type: 'error', id: msg.id, error: `unknown message ${msg.type}` });
    Promise.resolve()
      .then(() => h(msg))
      .then((reply) => send({ type: 'reply', id: msg.id, ...reply }))
      .catch((err: Error) => send({ type: 'reply', id: msg.id, error: err.stack ?? err.message }));
  });
}

let session: Session | undefined;

/** Profiling handlers (only used when the bench runs with BENCH_PROFILE=DIR). */
export const profileHandlers = {
  async 'profile-start'() {
    session ??= new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    return {};
  },
  async 'profile-stop'(msg: Message) {
    if (!session) return {};
    const { profile } = await session.post('Profiler.stop');
    const file = String(msg.file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    session = undefined;
    return { file };
  },
};
