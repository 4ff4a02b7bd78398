// The `yitong` commands (contract in DESIGN.md). Each opens the app, does one thing, closes.
import type Provider from 'oidc-provider';
import type { Config } from '../config/env.ts';
import type { FeatureFactory } from '../feature.ts';
import { openApp } from '../bootstrap.ts';
import { addDepartment } from '../departments/service.ts';
import { addClient, listClients, setClientStatus } from '../clients/service.ts';
import { createPerson } from '../accounts/service.ts';
import { logoutPerson, setPersonStatus, type StatusChange } from '../accounts/lifecycle.ts';
import type { Ended } from '../logout/service.ts';
import { listOutbox } from '../logout/outbox.ts';
import { recordInitialLevel } from '../realname/service.ts';
import { ensureSigningKeys, loadJwks, rotateSigningKeys } from '../oidc/keys.ts';
import { clientRules, createProvider } from '../oidc/provider.ts';
import { maskIdNumber } from '../identity/mask.ts';
import { CliUsageError, many, one, readPassword, type CliIo, type CommandResult } from './io.ts';
import type { AppContext } from '../context.ts';

/** What a command runs with: the configuration and the features `yitong serve` would run. */
export interface CliEnv {
  config: Config;
  features: FeatureFactory[];
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
      const features = env.features.map((make) => make(app));
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

const endedJson = (e: Ended) => ({ sessions_ended: e.sessions, grants_revoked: e.grants, logouts_queued: e.queued });
const endedText = (e: Ended) => `${e.sessions} session(s) ended, ${e.grants} grant(s) revoked, ${e.queued} app logout(s) queued`;
const statusResult = (r: StatusChange): CommandResult => ({
  json: { sub: r.sub, status: r.status, changed: r.changed, ...(r.ended ? endedJson(r.ended) : {}) },
  text: `${r.sub}: ${r.status}${r.changed ? '' : ' (unchanged)'}${r.ended ? `; ${endedText(r.ended)}` : ''}`,
});

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

  'department add': {

    summary: { 'zh-CN': '登记部门（委办局）', en: 'register a department' },
    usage: 'yitong department add --code CODE --name NAME',
    options: { code: { type: 'string' }, name: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const d = await addDepartment(app, one(v, 'code')!, one(v, 'name')!, env.actor);
        return { json: { code: d.code, name: d.name }, text: `department ${d.code} (${d.name}) added` };
      }),
  },

  'client add': {

    summary: { 'zh-CN': '登记接入应用（OIDC 客户端）', en: 'register an app (OIDC client)' },
    usage:
      'yitong client add --name NAME --redirect-uri URI [--redirect-uri URI ...] [--department CODE] [--post-logout-redirect-uri URI] ' +
      '[--backchannel-logout-uri URI] [--public] [--grant-type TYPE ...] [--scope "openid profile ..."] [--consent] [--id-token-alg ES256|RS256] ' +
      '[--token-endpoint-auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|none] [--jwks-uri URI]',
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
      'token-endpoint-auth-method': { type: 'string' },
      'jwks-uri': { type: 'string' },
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
            tokenEndpointAuthMethod: one(v, 'token-endpoint-auth-method', false) ?? null,
            jwksUri: one(v, 'jwks-uri', false) ?? null,
          },
          env.actor,
          rules,
        );
        const text = `client_id: ${created.client_id}` + (created.client_secret ? `\nclient_secret: ${created.client_secret}\n(保存好密钥，它不会再次显示 / store the secret now, it is not shown again)` : '');
        return { json: created, text };
      }),
  },

  'client list': {

    summary: { 'zh-CN': '列出接入应用', en: 'list apps' },
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

    summary: { 'zh-CN': '停用应用', en: 'disable an app' },
    usage: 'yitong client disable --client-id ID',
    options: { 'client-id': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const id = one(v, 'client-id')!;
        await setClientStatus(app, id, 'disabled', env.actor);
        return { json: { client_id: id, status: 'disabled' }, text: `client ${id} disabled (all nodes within 5 s)` };
      }),
  },

  'client enable': {

    summary: { 'zh-CN': '启用应用', en: 'enable an app' },
    usage: 'yitong client enable --client-id ID',
    options: { 'client-id': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const id = one(v, 'client-id')!;
        await setClientStatus(app, id, 'active', env.actor);
        return { json: { client_id: id, status: 'active' }, text: `client ${id} enabled` };
      }),
  },

  'person add': {

    summary: { 'zh-CN': '新建自然人账号（密码从标准输入读取）', en: 'add a person (password on standard input)' },
    usage: 'yitong person add --id-number ID --name NAME [--phone P [--phone-verified]] [--email E] [--real-name-level 1-4] --password-stdin',
    options: {
      'id-number': { type: 'string' },
      name: { type: 'string' },
      phone: { type: 'string' },
      'phone-verified': { type: 'boolean' },
      email: { type: 'string' },
      'real-name-level': { type: 'string' },
      'password-stdin': { type: 'boolean' },
    },
    async run(env, v) {
      if (!v['password-stdin']) throw new CliUsageError('缺少参数 / missing option --password-stdin (密码只从标准输入读取 / passwords are read from standard input only)');
      const password = await readPassword(env.io);
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
            phoneVerified: Boolean(v['phone-verified']),
          },
          env.actor,
        );
        // a starting level set by an administrator is the first entry of the person's level history
        if (level !== undefined) await recordInitialLevel(app, p, 'counter', env.actor);
        return { json: { sub: p.sub }, text: `sub: ${p.sub} (${maskIdNumber(p.idNumber ?? '')})` };
      });
    },
  },

  'person disable': {
    summary: { 'zh-CN': '停用账号（立即结束其所有会话并通知各应用）', en: 'disable a person (ends every session at once; apps are told)' },
    usage: 'yitong person disable --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) => withApp(env, async (app) => statusResult(await setPersonStatus(app, one(v, 'id-number')!, 'disabled', env.actor))),
  },

  'person enable': {
    summary: { 'zh-CN': '启用账号', en: 'enable a person' },
    usage: 'yitong person enable --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) => withApp(env, async (app) => statusResult(await setPersonStatus(app, one(v, 'id-number')!, 'active', env.actor))),
  },

  'person logout': {
    summary: { 'zh-CN': '结束某人的所有会话并通知各应用', en: 'end every session of a person; apps are told' },
    usage: 'yitong person logout --id-number ID',
    options: { 'id-number': { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const r = await logoutPerson(app, one(v, 'id-number')!, env.actor);
        return { json: { sub: r.sub, ...endedJson(r.ended) }, text: `${r.sub}: ${endedText(r.ended)}` };
      }),
  },

  'outbox list': {
    summary: { 'zh-CN': '查看单点退出通知的投递情况', en: 'list back-channel logout deliveries' },
    usage: 'yitong outbox list [--pending | --failed | --delivered] [--limit N]',
    options: { pending: { type: 'boolean' }, failed: { type: 'boolean' }, delivered: { type: 'boolean' }, limit: { type: 'string' } },
    run: (env, v) =>
      withApp(env, async (app) => {
        const chosen = (['pending', 'failed', 'delivered'] as const).filter((k) => v[k]);
        if (chosen.length > 1) throw new CliUsageError('--pending、--failed、--delivered 只能选一个 / choose one of --pending, --failed, --delivered');
        const limit = one(v, 'limit', false);
        if (limit && !/^\d+$/.test(limit)) throw new CliUsageError(`--limit: 应为正整数 / expected a positive integer, got ${limit}`);
        const rows = await listOutbox(app, { status: chosen[0], limit: limit ? Number(limit) : 100 });
        return {
          json: { deliveries: rows },
          text:
            rows.map((r) => `${r.id}\t${r.status}\t${r.client_id}\t${r.reason}\tattempts ${r.attempts}\t${r.last_status ?? '-'}\t${r.last_error ?? ''}`).join('\n') ||
            '(none)',
        };
      }),
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

  'audit list': {

    summary: { 'zh-CN': '查看审计记录', en: 'list audit records' },
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

    summary: { 'zh-CN': '校验审计链完整性', en: 'verify the audit chain' },
    usage: 'yitong audit verify',
    options: {},
    run: (env) =>
      withApp(env, async (app) => {
        const r = await app.audit.verify();
        if (!r.ok) {
          return { exitCode: 1, json: r as unknown as Record<string, unknown>, text: `审计链已损坏 / audit chain BROKEN at seq ${r.firstBad.seq} (${r.firstBad.reason}); ${r.records} records checked` };
        }
        return { json: r as unknown as Record<string, unknown>, text: `audit chain ok: ${r.records} records` };
      }),
  },
};
