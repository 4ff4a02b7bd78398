// The `yitong` commands (contract in DESIGN.md). Each opens the app, does one thing, closes.
import type Provider from 'oidc-provider';
import type { Config } from '../config/env.ts';
import type { FeatureFactory } from '../feature.ts';
import { openApp } from '../bootstrap.ts';
import { addDepartment } from '../departments/service.ts';
import { addClient, listClients, setClientStatus } from '../clients/service.ts';
import { createPerson, findPersonByIdentifier } from '../accounts/service.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { UserError } from '../i18n/messages.ts';
import { LoginThrottle } from '../interactions/throttle.ts';
import { personThrottleAccounts } from '../interactions/authenticate.ts';
import { ensureSigningKeys, loadJwks, rotateSigningKeys } from '../oidc/keys.ts';
import { clientRules, createProvider } from '../oidc/provider.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { CliUsageError, many, one, readStdin, type CommandResult } from './io.ts';
import type { AppContext } from '../context.ts';

/** What a command runs with: the configuration and the features `yitong serve` would run. */
export interface CliEnv {
  config: Config;
  features: FeatureFactory[];
}

export type Command = {
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run(env: CliEnv, values: Record<string, unknown>, positionals: string[]): Promise<CommandResult>;
  usage: string;
};

/** The provider as `yitong serve` builds it (signing keys made if missing), for commands that need one. */
export interface CliTools {
  provider(): Promise<{ provider: Provider; rules: ReturnType<typeof clientRules> }>;
}

export const actor = () => `cli:${process.env.SUDO_USER || process.env.USER || 'admin'}`;

export async function withApp<T>(env: CliEnv, fn: (app: AppContext, tools: CliTools) => Promise<T>): Promise<T> {
  const opened = await openApp(env.config, { poolSize: 2 });
  const { app } = opened;
  let built: Awaited<ReturnType<CliTools['provider']>> | undefined;
  const tools: CliTools = {
    async provider() {
      if (built) return built;
      const features = env.features.map((make) => make(app));
      await ensureSigningKeys(app);
      const provider = createProvider(app, await loadJwks(app), features);
      return (built = { provider, rules: clientRules(provider, features) });
    },
  };
  try {
    return await fn(app, tools);
  } finally {
    await opened.close();
  }
}

/** The core's commands; each feature folder exports its own (orgs/cli.ts, legacy/cli.ts). */
export const coreCommands: Record<string, Command> = {
  migrate: {
    usage: 'yitong migrate',
    options: {},
    async run({ config }) {
      const opened = await openApp(config, { poolSize: 1 });
      await opened.close();
      return { json: { applied: opened.migrated }, text: opened.migrated.length ? `applied: ${opened.migrated.join(', ')}` : 'database is up to date' };
    },
  },

  'department add': {
    usage: 'yitong department add --code CODE --name NAME',
    options: { code: { type: 'string' }, name: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const d = await addDepartment(app, one(v, 'code')!, one(v, 'name')!, actor());
        return { json: { code: d.code, name: d.name }, text: `department ${d.code} (${d.name}) added` };
      }),
  },

  'client add': {
    usage:
      'yitong client add --name NAME --redirect-uri URI [--redirect-uri URI ...] [--department CODE] [--post-logout-redirect-uri URI] ' +
      '[--backchannel-logout-uri URI] [--public] [--grant-type TYPE ...] [--scope "openid profile ..."] [--consent] [--id-token-alg ES256|RS256]',
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      department: { type: 'string' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      public: { type: 'boolean' },
      'grant-type': { type: 'string', multiple: true },
      scope: { type: 'string' },
      consent: { type: 'boolean' },
      'id-token-alg': { type: 'string' },
    },
    run: (env, v) =>
      withApp(env, async (app, tools) => {
        const { rules } = await tools.provider();
        const created = await addClient(
          app,
          {
            name: one(v, 'name')!,
            redirectUris: many(v, 'redirect-uri'),
            department: one(v, 'department', false) ?? null,
            postLogoutRedirectUris: many(v, 'post-logout-redirect-uri'),
            backchannelLogoutUri: one(v, 'backchannel-logout-uri', false) ?? null,
            public: Boolean(v.public),
            grantTypes: many(v, 'grant-type'),
            scope: one(v, 'scope', false) ?? null,
            consent: Boolean(v.consent),
            idTokenAlg: one(v, 'id-token-alg', false) ?? null,
          },
          actor(),
          rules,
        );
        const text = `client_id: ${created.client_id}` + (created.client_secret ? `\nclient_secret: ${created.client_secret}\n(保存好密钥，它不会再次显示 / store the secret now, it is not shown again)` : '');
        return { json: created, text };
      }),
  },

  'client list': {
    usage: 'yitong client list',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const clients = (await listClients(app)).map((c) => ({
          client_id: c.client_id,
          name: c.name,
          department: c.department_code,
          first_party: c.first_party,
          status: c.status,
          redirect_uris: c.metadata.redirect_uris,
          grant_types: c.metadata.grant_types,
        }));
        return { json: { clients }, text: clients.map((c) => `${c.client_id}\t${c.status}\t${c.department ?? '-'}\t${c.name}`).join('\n') || '(none)' };
      }),
  },

  'client disable': {
    usage: 'yitong client disable --client-id ID',
    options: { 'client-id': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const id = one(v, 'client-id')!;
        await setClientStatus(app, id, 'disabled', actor());
        return { json: { client_id: id, status: 'disabled' }, text: `client ${id} disabled (all nodes within 5 s)` };
      }),
  },

  'client enable': {
    usage: 'yitong client enable --client-id ID',
    options: { 'client-id': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const id = one(v, 'client-id')!;
        await setClientStatus(app, id, 'active', actor());
        return { json: { client_id: id, status: 'active' }, text: `client ${id} enabled` };
      }),
  },

  'person add': {
    usage: 'yitong person add --id-number ID --name NAME [--phone P] [--email E] [--real-name-level 1-4] --password-stdin',
    options: {
      'id-number': { type: 'string' },
      name: { type: 'string' },
      phone: { type: 'string' },
      email: { type: 'string' },
      'real-name-level': { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    async run(env, v) {
      if (!v['password-stdin']) throw new CliUsageError('缺少参数 / missing option --password-stdin (密码只从标准输入读取 / passwords are read from standard input only)');
      const password = await readStdin();
      const level = one(v, 'real-name-level', false);
      return withApp(env, async (app) => {
        const p = await createPerson(
          app,
          {
            idNumber: one(v, 'id-number')!,
            name: one(v, 'name')!,
            phone: one(v, 'phone', false),
            email: one(v, 'email', false),
            password,
            realNameLevel: level === undefined ? undefined : Number(level),
          },
          actor(),
        );
        return { json: { sub: p.sub }, text: `sub: ${p.sub} (${maskIdNumber(p.idNumber ?? '')})` };
      });
    },
  },

  'person unlock': {
    usage: 'yitong person unlock --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const id = parseIdNumber(one(v, 'id-number')!);
        if (!id.ok) throw new UserError(id.error);
        const person = await findPersonByIdentifier(app, id.value);
        if (!person) throw new UserError('person.unknown', 404, maskIdNumber(id.value));
        // the same counters the login keeps: the lock ends on every node at once
        const wasLocked = await new LoginThrottle(app.db, app.config.throttle).unlock(personThrottleAccounts(app, person));
        await app.audit.append({ event: 'person.unlock', outcome: 'success', actor: actor(), detail: { sub: person.sub, id_number: maskIdNumber(id.value), was_locked: wasLocked } });
        const who = `${person.sub} (${maskIdNumber(id.value)})`;
        return { json: { sub: person.sub, was_locked: wasLocked }, text: wasLocked ? `已解锁 / unlocked: ${who}` : `未锁定，已清零失败次数 / not locked; failures cleared: ${who}` };
      }),
  },

  'keys rotate': {
    usage: 'yitong keys rotate',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        await ensureSigningKeys(app);
        const r = await rotateSigningKeys(app, actor());
        return { json: r, text: `added ${r.added.join(', ')}; retired ${r.retired.length ? r.retired.join(', ') : 'none'}. Running servers pick the new keys up within 30 s.` };
      }),
  },

  'audit list': {
    usage: 'yitong audit list [--event NAME] [--since YYYY-MM-DD] [--limit N]',
    options: { event: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const since = one(v, 'since', false);
        const limit = one(v, 'limit', false);
        if (since && Number.isNaN(Date.parse(since))) throw new CliUsageError(`--since: 日期格式应为 YYYY-MM-DD / expected YYYY-MM-DD, got ${since}`);
        if (limit && !/^\d+$/.test(limit)) throw new CliUsageError(`--limit: 应为正整数 / expected a positive integer, got ${limit}`);
        const records = await app.audit.list({ event: one(v, 'event', false), since: since ? new Date(since) : undefined, limit: limit ? Number(limit) : undefined });
        return {
          json: { records },
          text: records.map((r) => `${r.seq}\t${r.at.toISOString()}\t${r.event}\t${r.outcome}\t${r.actor ?? '-'}\t${r.clientId ?? '-'}\t${r.ip ?? '-'}\t${JSON.stringify(r.detail)}`).join('\n') || '(none)',
        };
      }),
  },

  'audit verify': {
    usage: 'yitong audit verify',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const r = await app.audit.verify();
        if (!r.ok) {
          process.exitCode = 1;
          return { json: r as unknown as Record<string, unknown>, text: `审计链已损坏 / audit chain BROKEN at seq ${r.firstBad.seq} (${r.firstBad.reason}); ${r.records} records checked` };
        }
        return { json: r as unknown as Record<string, unknown>, text: `audit chain ok: ${r.records} records` };
      }),
  },
};
