// Entry point of the `yitong` command.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../config/env.ts';
import { UserError } from '../i18n/messages.ts';
import { DataDirInUseError } from '../db/dir-lock.ts';
import { WrongMasterKeyError } from '../bootstrap.ts';
import { coreCommands, type CliEnv, type Command } from './commands.ts';
import { CliUsageError } from './io.ts';
import { logger } from '../log.ts';
import { ALL_FEATURES, startServer } from '../server.ts';
import { orgsCommands } from '../orgs/cli.ts';
import { legacyCommands } from '../legacy/cli.ts';

// The composition root of the command line: the core's commands and each feature's, and the
// features the commands (and `yitong serve`) run with.
const commands: Record<string, Command> = { ...coreCommands, ...orgsCommands, ...legacyCommands };
const features = ALL_FEATURES;

function usage(): string {
  return ['yitong serve', ...Object.values(commands).map((c) => c.usage)].join('\n');
}

async function serve() {
  const server = await startServer(loadConfig(), features);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (signals++) process.exit(1); // a second signal forces it
    logger.info({ signal }, 'shutting down');
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]) {
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  try {
    if (args[0] === 'serve' || args.length === 0 && process.env.npm_lifecycle_event === 'start') return await serve();
    const name = [args[0], args[1]].join(' ');
    const cmd = commands[name] ?? commands[args[0]];
    if (!cmd || args[0] === '--help' || args[0] === 'help') {
      process.stdout.write(usage() + '\n');
      if (!cmd && args[0] && args[0] !== '--help' && args[0] !== 'help') process.exitCode = 2;
      return;
    }
    const rest = args.slice(commands[name] ? 2 : 1);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: cmd.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new CliUsageError(`${(err as Error).message}\nusage: ${cmd.usage}`);
    }
    const env: CliEnv = { config: loadConfig(), features };
    const result = await cmd.run(env, parsed.values as Record<string, unknown>, parsed.positionals);
    process.stdout.write((json ? JSON.stringify(result.json) : (result.text ?? JSON.stringify(result.json, null, 2))) + '\n');
  } catch (err) {
    const known = err instanceof UserError || err instanceof CliUsageError || err instanceof ConfigError || err instanceof DataDirInUseError || err instanceof WrongMasterKeyError;
    const message = known ? (err as Error).message : `内部错误 / internal error: ${(err as Error).message}`;
    const code = err instanceof UserError ? err.code : err instanceof DataDirInUseError ? 'data_dir.in_use' : err instanceof WrongMasterKeyError ? 'master_key.mismatch' : err instanceof ConfigError ? 'config.invalid' : err instanceof CliUsageError ? 'usage' : 'internal';
    if (json) process.stderr.write(JSON.stringify({ error: code, message }) + '\n');
    else process.stderr.write(message + '\n');
    process.exitCode = err instanceof CliUsageError ? 2 : 1;
  }
}

await main(process.argv.slice(2));
