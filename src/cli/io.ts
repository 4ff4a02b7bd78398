// CLI plumbing: every command returns an object; --json prints it as one JSON line, otherwise a
// readable summary. Errors go to stderr with a non-zero exit, in zh-CN and en.
export interface CommandResult {
  json: Record<string, unknown>;
  text?: string;
}

export class CliUsageError extends Error {}

export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliUsageError('--password-stdin: 请通过标准输入提供密码 / pipe the password on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
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
