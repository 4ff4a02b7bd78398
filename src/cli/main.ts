// Entry point of the `yitong` command, and the composition root of the command line: the core's
// commands and each feature's, and the features the commands (and `yitong serve`) run with.
import path from 'node:path';
import { loadConfig, type Config } from '../config/env.ts';
import { coreCommands, cliActor, type CliEnv, type Command } from './commands.ts';
import { processIo, type CliIo } from './io.ts';
import { runCommand } from './run.ts';
import { handToServer, hostCommands } from './host.ts';
import { DataDirInUseError, InterruptedRestoreError } from '../db/dir-lock.ts';
import { logger } from '../log.ts';
import type { AppContext } from '../context.ts';
import { departmentsCommands } from '../departments/cli.ts';
import { clientsCommands } from '../clients/cli.ts';
import { accountsCommands } from '../accounts/cli.ts';
import { logoutCommands } from '../logout/cli.ts';
import { auditCommands } from '../audit/cli.ts';
import { orgsCommands } from '../orgs/cli.ts';
import { legacyCommands } from '../legacy/cli.ts';
import { adminCommands } from '../admin/cli.ts';
import { citizenCommands } from '../citizen/cli.ts';
import { mfaCommands } from '../mfa/cli.ts';
import { backupCommands } from '../backup/cli.ts';
import { cryptoCommands } from '../crypto/cli.ts';
import { CryptoMismatchError } from '../crypto/startup.ts';

const commands: Record<string, Command> = {
  ...coreCommands,
  ...departmentsCommands,
  ...clientsCommands,
  ...accountsCommands,
  ...logoutCommands,
  ...auditCommands,
  ...orgsCommands,
  ...legacyCommands,
  ...adminCommands,
  ...citizenCommands,
  ...mfaCommands,
  ...backupCommands,
  ...cryptoCommands,
};

// The server (koa, pages, every feature's routes) is loaded only by `serve` and by the few commands
// that build the provider: other commands (an import, say) start without it, in less memory.
const features = async () => (await import('../server.ts')).ALL_FEATURES;

const envFor = (config: Config, io: CliIo, actor: string, cwd: string, hosted?: AppContext): CliEnv => ({
  config,
  features,
  io,
  actor,
  hosted,
  path: (p) => path.resolve(cwd, p),
});

async function serve(config: Config) {
  const { startServer } = await import('../server.ts');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, await features());
  } catch (err) {
    // a key or suite that does not fit the data, or a DATA_DIR that cannot be opened: the message
    // says what to do, a stack trace would bury it
    if (!(err instanceof CryptoMismatchError || err instanceof InterruptedRestoreError || err instanceof DataDirInUseError)) throw err;
    process.stderr.write(err.message + '\n');
    process.exitCode = 1;
    return;
  }
  // On the embedded database this process is the only one that may open it: host the CLI.
  const unhost = config.databaseUrl
    ? undefined
    : await hostCommands(config.dataDir, (argv, io, caller) => runCommand(argv, commands, io, () => envFor(config, io, caller.actor, caller.cwd, server.app)));
  let signals = 0;
  const shutdown = (signal: string) => {
    if (signals++) process.exit(1); // a second signal forces it
    logger.info({ signal }, 'shutting down');
    Promise.resolve(unhost?.())
      .then(() => server.stop())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]) {
  let config: Config | undefined;
  let configError: unknown;
  try {
    config = loadConfig();
  } catch (err) {
    configError = err; // reported by runCommand, unless only help was asked for
  }
  if (config && (argv[0] === 'serve' || (argv.length === 0 && process.env.npm_lifecycle_event === 'start'))) return serve(config);
  const actor = config ? cliActor(config) : 'cli';
  if (config && !config.databaseUrl && argv.length) {
    const code = await handToServer(config.dataDir, argv, { actor, cwd: process.cwd() }, processIo, process.stdout);
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
  }
  const out = await runCommand(argv, commands, processIo, () => {
    if (!config) throw configError;
    return envFor(config, processIo, actor, process.cwd());
  });
  process.stdout.write(out.stdout);
  process.exitCode = out.exitCode;
}

await main(process.argv.slice(2));
