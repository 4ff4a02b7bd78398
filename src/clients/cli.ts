// `yitong client ...`: departmental apps.
import { withApp, type Command } from '../cli/commands.ts';
import { many, one } from '../cli/io.ts';
import { addClient, listClients, setClientStatus } from './service.ts';
import { checkClientRole, grantClientRole } from '../admin/service.ts';

export const clientsCommands: Record<string, Command> = {
  'client add': {

    summary: { 'zh-CN': '登记接入应用（OIDC 客户端）', en: 'register an app (OIDC client)' },
    usage:
      'yitong client add --name NAME --redirect-uri URI [--redirect-uri URI ...] [--department CODE] [--post-logout-redirect-uri URI] ' +
      '[--backchannel-logout-uri URI] [--public] [--grant-type TYPE ...] [--scope "openid profile ..."] [--consent] [--id-token-alg ES256|RS256] ' +
      '[--token-endpoint-auth-method client_secret_basic|client_secret_post|client_secret_jwt|private_key_jwt|none] [--jwks-uri URI] ' +
      '[--admin-role system|security|audit|department (with --grant-type client_credentials: an automation client of the admin API)]',
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
    },
    run: (env, v) =>
      withApp(env, async (app, tools) => {
        const { rules } = await tools.provider();
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
          },
          env.actor,
          rules,
        );
        if (role) await grantClientRole(app, created.client_id, role, env.actor);
        const text = `client_id: ${created.client_id}` + (role ? `\nadmin role: ${role}` : '') + (created.client_secret ? `\nclient_secret: ${created.client_secret}\n(保存好密钥，它不会再次显示 / store the secret now, it is not shown again)` : '');
        return { json: role ? { ...created, admin_role: role } : created, text };
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
