// `yitong client ...`: departmental apps.
import { withApp, type Command } from '../cli/commands.ts';
import { CliUsageError, many, one } from '../cli/io.ts';
import { addClient, clientVersion, listClients, setClientStatus, updateClient, type ClientUpdate } from './service.ts';
import { clientStore } from './store.ts';
import { AppError } from '../errors.ts';
import { checkClientRole, grantClientRole } from '../admin/service.ts';

export const clientsCommands: Record<string, Command> = {
  'client add': {

    summary: { 'zh-CN': '登记接入应用（OIDC 客户端）', en: 'register an app (OIDC client)' },
    usage:
      'yitong client add --name NAME --redirect-uri URI [--redirect-uri URI ...] [--department CODE] [--post-logout-redirect-uri URI] ' +
      '[--backchannel-logout-uri URI] [--public] [--grant-type TYPE ...] [--scope "openid profile ..."] [--consent] [--id-token-alg ES256|RS256] ' +
      '[--token-endpoint-auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|none] [--jwks-uri URI] ' +
      '[--admin-role system|security|audit|department (with --grant-type client_credentials: an automation client of the admin API)] ' +
      '[--min-acr urn:yitong:acr:pwd|urn:yitong:acr:mfa|urn:yitong:acr:phr] [--min-real-name-level 1-4]',
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
      'admin-role': { type: 'string' },
      'min-acr': { type: 'string' },
      'min-real-name-level': { type: 'string' },
    },
    run: (env, v) =>
      withApp(env, async (app, tools) => {
        const { rules } = await tools.provider();
        const minLevel = one(v, 'min-real-name-level', false);
        if (minLevel !== undefined && !/^[1-4]$/.test(minLevel)) throw new CliUsageError(`--min-real-name-level: 应为 1 至 4 / expected 1 to 4, got ${minLevel}`);
        const adminRole = one(v, 'admin-role', false);
        const role = adminRole === undefined ? undefined : checkClientRole(adminRole, { grantTypes: many(v, 'grant-type'), department: one(v, 'department', false) ?? null, public: Boolean(v.public) });
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
            minAcr: one(v, 'min-acr', false) ?? null,
            minRealNameLevel: minLevel === undefined ? null : Number(minLevel),
          },
          env.actor,
          rules,
        );
        if (role) await grantClientRole(app, created.client_id, role, env.actor);
        const text = `client_id: ${created.client_id}` + (role ? `\nadmin role: ${role}` : '') + (created.client_secret ? `\nclient_secret: ${created.client_secret}\n(保存好密钥，它不会再次显示 / store the secret now, it is not shown again)` : '');
        return { json: role ? { ...created, admin_role: role } : created, text };
      }),
  },

  'client update': {
    summary: { 'zh-CN': '修改应用的名称、地址或登录要求', en: "change an app's name, addresses or sign-in policies" },
    usage:
      'yitong client update --client-id ID [--name NAME] [--redirect-uri URI ...] [--post-logout-redirect-uri URI ...] [--backchannel-logout-uri URI|none] ' +
      '[--min-acr urn:yitong:acr:pwd|urn:yitong:acr:mfa|urn:yitong:acr:phr|none] [--min-real-name-level 1-4|none]',
    options: {
      'client-id': { type: 'string' },
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      'backchannel-logout-uri': { type: 'string' },
      'min-acr': { type: 'string' },
      'min-real-name-level': { type: 'string' },
    },
    run: (env, v) =>
      withApp(env, async (app, tools) => {
        const id = one(v, 'client-id')!;
        const row = await clientStore.byId(app.db, id);
        if (!row) throw new AppError('client.unknown', 'not_found', id);
        const orNone = (name: string) => {
          const x = one(v, name, false);
          return x === undefined ? undefined : x === 'none' ? null : x;
        };
        const level = orNone('min-real-name-level');
        if (typeof level === 'string' && !/^[1-4]$/.test(level)) throw new AppError('client.min_real_name_level_invalid', 'invalid_input', level);
        const patch: ClientUpdate = {
          ...(v.name !== undefined ? { name: one(v, 'name')! } : {}),
          ...(v['redirect-uri'] !== undefined ? { redirectUris: many(v, 'redirect-uri') } : {}),
          ...(v['post-logout-redirect-uri'] !== undefined ? { postLogoutRedirectUris: many(v, 'post-logout-redirect-uri') } : {}),
          ...(v['backchannel-logout-uri'] !== undefined ? { backchannelLogoutUri: orNone('backchannel-logout-uri') ?? null } : {}),
          ...(v['min-acr'] !== undefined ? { minAcr: orNone('min-acr') ?? null } : {}),
          ...(level !== undefined ? { minRealNameLevel: level === null ? null : Number(level) } : {}),
        };
        if (!Object.keys(patch).length) throw new CliUsageError('没有要修改的内容 / nothing to change: give at least one option');
        const { rules } = await tools.provider();
        const updated = await updateClient(app, id, patch, clientVersion(row), env.actor, rules);
        const m = updated.metadata;
        const json = {
          client_id: id,
          name: updated.name,
          redirect_uris: m.redirect_uris,
          min_acr: m.yitong_min_acr ?? null,
          min_real_name_level: m.yitong_min_real_name_level ?? null,
        };
        return { json, text: `client ${id} updated` };
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
};
