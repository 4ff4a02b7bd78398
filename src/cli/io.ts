// CLI plumbing: every command returns an object; --json prints it as one JSON line, otherwise a
// readable summary. Errors go to stderr with a non-zero exit, in zh-CN and en. Commands never touch
// process.stdin/stderr themselves: they get a CliIo, which is the terminal for a local command
// and the caller's socket for a command handed to a running server (cli/host.ts).
import type { Writable } from 'node:stream';

export interface CommandResult {
  json: Record<string, unknown>;
  text?: string;
  /** non-zero for a command that ran but found a problem (audit verify) */
  exitCode?: number;
}

export interface CliIo {
  /** standard input as text (passwords); refused on a terminal */
  stdin(): Promise<string>;
  stderr: Writable;
}

export class CliUsageError extends Error {}

/** The local process's io. */
export const processIo: CliIo = {
  async stdin() {
    if (process.stdin.isTTY) throw new CliUsageError('--password-stdin: 请通过标准输入提供密码 / pipe the password on standard input');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stderr: process.stderr,
};

/** A password from standard input, without its final line break. */
export async function readPassword(io: CliIo): Promise<string> {
  return (await io.stdin()).replace(/\r?\n$/, '');
}

export function one(values: Record<string, unknown>, name: string, required = true): string | undefined {
  const v = values[name];
  const s = Array.isArray(v) ? v[v.length - 1] : v;
  if (required && (typeof s !== 'string' || s === '')) throw new CliUsageError(`缺少参数 / missing option --${name}`);
  return typeof s === 'string' ? s : undefined;
}

export function many(values: Record<string, unknown>, name: string): string[] {
  const v = values[name];
  return v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [String(v)];
}
