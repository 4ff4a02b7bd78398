// Apps (OIDC clients): system administrators manage every app, a department administrator its
// department's (another department's apps answer 404, as if they did not exist). Updates carry
// the version they were based on; a stale one gets 409.
import { z } from 'zod';
import { addClient, clientVersion, rotateClientSecret, setClientStatus, updateClient, TOKEN_ENDPOINT_AUTH_METHODS } from '../../../clients/service.ts';
import { clientStore, type ClientRow } from '../../../clients/store.ts';
import { AdminError, notFound, op, type OpContext } from '../op.ts';
import { ClientId, Cursor, decodeCursor, DepartmentCode, iso, Limit, nextCursor, page, Timestamp } from '../schemas.ts';
import { reaches } from '../../roles.ts';

const ClientView = z
  .object({
    client_id: ClientId,
    name: z.string(),
    department: z.string().nullable(),
    status: z.string(),
    first_party: z.boolean(),
    builtin: z.boolean().describe('registered by Yitong itself (self-service portal, admin console): not changed here'),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    backchannel_logout_uri: z.string().nullable(),
    grant_types: z.array(z.string()),
    token_endpoint_auth_method: z.string(),
    scope: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    version: z.string().describe('send it back with an update; it changes with every change'),
  })
  .meta({ id: 'Client' });

const isBuiltin = (r: ClientRow) => r.first_party && r.department_code === null;
const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);

export function clientView(r: ClientRow): z.input<typeof ClientView> {
  const m = r.metadata;
  return {
    client_id: r.client_id,
    name: r.name,
    department: r.department_code,
    status: r.status,
    first_party: r.first_party,
    builtin: isBuiltin(r),
    redirect_uris: strings(m.redirect_uris),
    post_logout_redirect_uris: strings(m.post_logout_redirect_uris),
    backchannel_logout_uri: typeof m.backchannel_logout_uri === 'string' ? m.backchannel_logout_uri : null,
    grant_types: strings(m.grant_types),
    token_endpoint_auth_method: String(m.token_endpoint_auth_method ?? 'client_secret_basic'),
    scope: typeof m.scope === 'string' ? m.scope : null,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    version: clientVersion(r),
  };
}

/** The client, when the caller's access reaches it. */
async function visibleClient(c: OpContext, clientId: string, opts: { change?: boolean } = {}): Promise<ClientRow> {
  c.target = { type: 'client', id: clientId };
  const row = await clientStore.byId(c.app.db, clientId);
  if (!row || !reaches(c.access, row.department_code)) throw notFound();
  if (opts.change && isBuiltin(row)) throw new AdminError('admin.builtin_client', 'conflict');
  return row;
}

const IdParams = z.strictObject({ client_id: ClientId });
const Uri = z.string().min(1).max(2000);

export const clientOps = [
  op({
    id: 'clients.list',
    method: 'get',
    path: '/clients',
    tag: 'clients',
    summary: 'Apps, in client_id order',
    roles: ['system', 'department'],
    query: z.strictObject({ status: z.enum(['active', 'disabled']).optional(), department: DepartmentCode.optional(), limit: Limit, cursor: Cursor }),
    response: page(ClientView),
    async run(c, { query }) {
      const after = decodeCursor(query.cursor, z.string());
      let departments = c.access.all ? undefined : c.access.departments;
      if (query.department) departments = departments ? departments.filter((d) => d === query.department) : [query.department];
      const rows = await clientStore.page(c.app.db, { departments, status: query.status }, after, query.limit);
      return { items: rows.map(clientView), next_cursor: nextCursor(rows, query.limit, (r) => r.client_id) };
    },
  }),

  op({
    id: 'clients.create',
    method: 'post',
    path: '/clients',
    tag: 'clients',
    summary: 'Register an app (the secret is shown once)',
    description: 'A department administrator registers apps of its own department only (the default).',
    roles: ['system', 'department'],
    status: 201,
    body: z.strictObject({
      name: z.string().min(1).max(128),
      redirect_uris: z.array(Uri).max(20).default([]),
      department: DepartmentCode.optional(),
      post_logout_redirect_uris: z.array(Uri).max(20).optional(),
      backchannel_logout_uri: Uri.optional(),
      public: z.boolean().optional(),
      grant_types: z.array(z.string().max(100)).max(5).optional(),
      scope: z.string().max(500).optional(),
      consent: z.boolean().optional().describe('show the consent page even for a departmental app'),
      id_token_alg: z.enum(['ES256', 'RS256']).optional(),
      token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
      jwks_uri: Uri.optional(),
    }),
    response: z.object({ client: ClientView, client_secret: z.string().optional() }),
    errors: [404, 409],
    async run(c, { body }) {
      let department = body.department ?? null;
      if (!c.access.all) {
        department ??= c.access.departments.length === 1 ? c.access.departments[0] : null;
        if (!department) throw new AdminError('admin.department_required', 'invalid_input');
        if (!reaches(c.access, department)) throw notFound();
      }
      const created = await addClient(
        c.app,
        {
          name: body.name,
          redirectUris: body.redirect_uris,
          department,
          postLogoutRedirectUris: body.post_logout_redirect_uris,
          backchannelLogoutUri: body.backchannel_logout_uri ?? null,
          public: body.public,
          grantTypes: body.grant_types,
          scope: body.scope ?? null,
          consent: body.consent,
          idTokenAlg: body.id_token_alg ?? null,
          tokenEndpointAuthMethod: body.token_endpoint_auth_method ?? null,
          jwksUri: body.jwks_uri ?? null,
        },
        c.principal.actor,
        c.rules(),
      );
      c.target = { type: 'client', id: created.client_id };
      const row = (await clientStore.byId(c.app.db, created.client_id))!;
      return { client: clientView(row), ...(created.client_secret ? { client_secret: created.client_secret } : {}) };
    },
  }),

  op({
    id: 'clients.get',
    method: 'get',
    path: '/clients/{client_id}',
    tag: 'clients',
    summary: 'An app',
    roles: ['system', 'department'],
    params: IdParams,
    response: ClientView,
    errors: [404],
    run: async (c, { params }) => clientView(await visibleClient(c, params.client_id)),
  }),

  op({
    id: 'clients.update',
    method: 'patch',
    path: '/clients/{client_id}',
    tag: 'clients',
    summary: 'Change an app’s name and addresses (optimistic concurrency: a stale version gets 409)',
    roles: ['system', 'department'],
    params: IdParams,
    body: z.strictObject({
      version: z.string().min(1).max(64).describe('the version this change is based on'),
      name: z.string().min(1).max(128).optional(),
      redirect_uris: z.array(Uri).max(20).optional(),
      post_logout_redirect_uris: z.array(Uri).max(20).optional(),
      backchannel_logout_uri: Uri.nullable().optional(),
    }),
    response: ClientView,
    errors: [404, 409],
    async run(c, { params, body }) {
      await visibleClient(c, params.client_id, { change: true });
      const row = await updateClient(
        c.app,
        params.client_id,
        { name: body.name, redirectUris: body.redirect_uris, postLogoutRedirectUris: body.post_logout_redirect_uris, backchannelLogoutUri: body.backchannel_logout_uri },
        body.version,
        c.principal.actor,
        c.rules(),
      );
      return clientView(row);
    },
  }),

  op({
    id: 'clients.rotate_secret',
    method: 'post',
    path: '/clients/{client_id}/secret',
    tag: 'clients',
    summary: 'A new client secret (the old one stops working at once; shown once)',
    roles: ['system', 'department'],
    params: IdParams,
    body: z.strictObject({ version: z.string().min(1).max(64).optional() }).optional(),
    response: z.object({ client: ClientView, client_secret: z.string() }),
    errors: [404, 409],
    async run(c, { params, body }) {
      await visibleClient(c, params.client_id, { change: true });
      const r = await rotateClientSecret(c.app, params.client_id, body?.version, c.principal.actor);
      return { client: clientView(r.row), client_secret: r.secret };
    },
  }),

  ...(['disable', 'enable'] as const).map((act) =>
    op({
      id: `clients.${act}`,
      method: 'post',
      path: `/clients/{client_id}/${act}`,
      tag: 'clients',
      summary: act === 'disable' ? 'Disable an app: its users’ sessions there end at once (back-channel logout)' : 'Enable an app',
      roles: ['system', 'department'],
      params: IdParams,
      response: ClientView,
      errors: [404, 409],
      async run(c, { params }) {
        await visibleClient(c, params.client_id, { change: true });
        await setClientStatus(c.app, params.client_id, act === 'disable' ? 'disabled' : 'active', c.principal.actor);
        return clientView((await clientStore.byId(c.app.db, params.client_id))!);
      },
    }),
  ),
];
