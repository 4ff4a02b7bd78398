// Runs one command line: finds the command, parses its options, runs it and renders the result or
// the error. The same function serves a local `yitong ...` and a command a running server hosts for
// a CLI on the same embedded database (cli/host.ts), so both answer alike.
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/env.ts';
import { AppError } from '../errors.ts';
import { DataDirInUseError, InterruptedRestoreError } from '../db/dir-lock.ts';
import { CryptoMismatchError } from '../bootstrap.ts';
import type { CliEnv, Command } from './commands.ts';
import { CliUsageError, type CliIo } from './io.ts';

export interface CliOutput {
  stdout: string;
  exitCode: number;
}

const HELP = new Set(['--help', '-h', 'help']);

function optionList(cmd: Command): string {
  return Object.entries(cmd.options)
    .map(([name, o]) => `  --${name}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`)
    .concat('  --json  (one JSON object on stdout)')
    .join('\n');
}

function describe(name: string, cmd: Command): string {
  return `  ${name.padEnd(18)} ${cmd.summary['zh-CN']} / ${cmd.summary.en}`;
}

/** `yitong --help`, or the commands of one group (`yitong org --help`). */
export function helpText(commands: Record<string, Command>, group?: string): string {
  const names = Object.keys(commands).filter((n) => !group || n === group || n.startsWith(`${group} `));
  return [
    group ? `yitong ${group} — 命令 / commands:` : '一通 统一身份认证 / Yitong unified sign-in — 命令 / commands:',
    group ? '' : `  ${'serve'.padEnd(18)} 启动服务（先执行待应用的数据库迁移） / run the server (applies pending migrations first)`,
    ...names.map((n) => describe(n, commands[n])),
    '',
    group ? 'yitong <command> --help: 选项 / options' : 'yitong <group> --help, yitong <command> --help: 详细用法 / details',
  ]
    .filter((l, i) => l !== '' || i > 1)
    .join('\n');
}

function errorCode(err: unknown): string {
  if (err instanceof AppError) return err.code;
  if (err instanceof DataDirInUseError) return 'data_dir.in_use';
  if (err instanceof InterruptedRestoreError) return err.code;
  if (err instanceof CryptoMismatchError) return err.code;
  if (err instanceof ConfigError) return 'config.invalid';
  if (err instanceof CliUsageError) return 'usage';
  return 'internal';
}

/** `env` is made only for a command that runs, so help works even where the configuration is broken. */
export async function runCommand(argv: string[], commands: Record<string, Command>, io: CliIo, env: () => CliEnv): Promise<CliOutput> {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  const wantsHelp = args.some((a) => HELP.has(a));
  const words = args.filter((a) => !HELP.has(a));
  const two = [words[0], words[1]].join(' ');
  const name = commands[two] ? two : commands[words[0]] ? words[0] : undefined;
  try {
    if (!words.length) return { stdout: helpText(commands) + '\n', exitCode: 0 };
    if (!name) {
      const isGroup = Object.keys(commands).some((n) => n.startsWith(`${words[0]} `));
      if (isGroup && wantsHelp && words.length === 1) return { stdout: helpText(commands, words[0]) + '\n', exitCode: 0 };
      throw new CliUsageError(`未知命令 / unknown command: ${words.slice(0, 2).join(' ')}\n${helpText(commands, isGroup ? words[0] : undefined)}`);
    }
    const cmd = commands[name];
    if (wantsHelp) return { stdout: `${cmd.summary['zh-CN']} / ${cmd.summary.en}\nusage: ${cmd.usage}\n${optionList(cmd)}\n`, exitCode: 0 };
    let parsed;
    try {
      parsed = parseArgs({ args: args.slice(name.split(' ').length), options: cmd.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new CliUsageError(`${(err as Error).message}\nusage: ${cmd.usage}`);
    }
    const result = await cmd.run(env(), parsed.values as Record<string, unknown>, parsed.positionals);
    return { stdout: (json ? JSON.stringify(result.json) : (result.text ?? JSON.stringify(result.json, null, 2))) + '\n', exitCode: result.exitCode ?? 0 };
  } catch (err) {
    const code = errorCode(err);
    const message = code === 'internal' ? `内部错误 / internal error: ${(err as Error).message}` : (err as Error).message;
    io.stderr.write((json ? JSON.stringify({ error: code, message }) : message) + '\n');
    return { stdout: '', exitCode: err instanceof CliUsageError ? 2 : 1 };
  }
}
