// What every `yitong` command is and runs with, and the core's own commands (migrate, keys). Each
// domain keeps its commands in its folder's cli.ts; cli/main.ts lists them. A command opens the app
// (or uses the running server's, cli/host.ts), does one thing, and closes it.
import type Provider from 'oidc-provider';
import type { Config } from '../config/env.ts';
import type { FeatureFactory } from '../feature.ts';
import { openApp } from '../bootstrap.ts';
import { ensureSigningKeys, loadJwks, rotateSigningKeys } from '../oidc/keys.ts';
import type { clientRules } from '../oidc/provider.ts';
import type { CliIo, CommandResult } from './io.ts';
import type { AppContext } from '../context.ts';

/** What a command runs with: the configuration and the features `yitong serve` would run. */
export interface CliEnv {
  config: Config;
  /** loaded when a command needs the provider (most need only the database): the server's module graph is heavy */
  features: () => Promise<FeatureFactory[]>;
  io: CliIo;
  /** who runs the command, for the audit trail */
  actor: string;
  /** a file named on the command line, resolved against the caller's working directory */
  path(p: string): string;
  /** the running server's app, when the command was handed to it (embedded database, cli/host.ts) */
  hosted?: AppContext;
}

export type Command = {
  /** one line for `yitong --help` */
  summary: { 'zh-CN': string; en: string };
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(env: CliEnv, values: Record<string, unknown>, positionals: string[]): Promise<CommandResult>;
  usage: string;
};

/** The provider as `yitong serve` builds it (signing keys made if missing), for commands that need one. */
export interface CliTools {
  provider(): Promise<{ provider: Provider; rules: ReturnType<typeof clientRules> }>;
}

export const cliActor = (config: Config) => `cli:${config.cliUser}`;

export async function withApp<T>(env: CliEnv, fn: (app: AppContext, tools: CliTools) => Promise<T>): Promise<T> {
  const opened = env.hosted ? undefined : await openApp(env.config, { poolSize: 2 });
  const app = env.hosted ?? opened!.app;
  let built: Awaited<ReturnType<CliTools['provider']>> | undefined;
  const tools: CliTools = {
    async provider() {
      if (built) return built;
      const features = (await env.features()).map((make) => make(app));
      // oidc-provider is loaded only by the commands that build one (about 30 MB the others do without)
      const { clientRules, createProvider } = await import('../oidc/provider.ts');
      await ensureSigningKeys(app);
      const provider = createProvider(app, await loadJwks(app), features);
      return (built = { provider, rules: clientRules(provider, features) });
    },
  };
  try {
    return await fn(app, tools);
  } finally {
    await opened?.close();
  }
}

/** The core's commands; each feature folder exports its own (orgs/cli.ts, legacy/cli.ts). */
export const coreCommands: Record<string, Command> = {
  migrate: {
    summary: { 'zh-CN': '应用数据库迁移后退出', en: 'apply database migrations and exit' },
    usage: 'yitong migrate',
    options: {},
    async run({ config }) {
      const opened = await openApp(config, { poolSize: 1 });
      await opened.close();
      return { json: { applied: opened.migrated }, text: opened.migrated.length ? `applied: ${opened.migrated.join(', ')}` : 'database is up to date' };
    },
  },

  'keys rotate': {

    summary: { 'zh-CN': '轮换签名密钥', en: 'rotate the signing keys' },
    usage: 'yitong keys rotate',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        await ensureSigningKeys(app);
        const r = await rotateSigningKeys(app, env.actor);
        return { json: r, text: `added ${r.added.join(', ')}; retired ${r.retired.length ? r.retired.join(', ') : 'none'}. Running servers pick the new keys up within 30 s.` };
      }),
  },
};
