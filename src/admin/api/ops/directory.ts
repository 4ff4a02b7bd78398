// Departments and signing keys (system administrators; a department administrator reads its own
// department), orgs and their agents' authorisations (security administrators).
import { z } from 'zod';
import { addDepartment } from '../../../departments/service.ts';
import { departmentStore, type DepartmentRow } from '../../../departments/store.ts';
import { listSigningKeys, rotateSigningKeys, ensureSigningKeys } from '../../../oidc/keys.ts';
import { orgStore } from '../../../orgs/store.ts';
import { orgDetails } from '../../../orgs/org-views.ts';
import { setOrgStatus } from '../../../orgs/org-lifecycle.ts';
import { revokeAuthorization } from '../../../orgs/authorizations.ts';
import { toOrg, ORG_STATUSES, type Org } from '../../../orgs/org.ts';
import { parseUscc } from '../../../identity/uscc.ts';
import { AdminError, notFound, op } from '../op.ts';
import { Cursor, decodeCursor, DepartmentCode, iso, Limit, nextCursor, page, Timestamp, Uscc, Uuid } from '../schemas.ts';
import { reaches } from '../../roles.ts';

const DepartmentView = z.object({ code: z.string(), name: z.string(), created_at: Timestamp }).meta({ id: 'Department' });
const departmentView = (d: DepartmentRow) => ({ code: d.code, name: d.name, created_at: iso(d.created_at)! });

const OrgView = z
  .object({ org_sub: z.string(), uscc: z.string(), name: z.string(), type: z.string(), status: z.string() })
  .meta({ id: 'Org' });
const orgView = (o: Org) => ({ org_sub: o.sub, uscc: o.uscc, name: o.name, type: o.type, status: o.status });

function usccParam(raw: string): string {
  const r = parseUscc(raw);
  if (!r.ok) throw new AdminError(r.error, 'invalid_input');
  return r.value;
}

export const directoryOps = [
  op({
    id: 'departments.list',
    method: 'get',
    path: '/departments',
    tag: 'departments',
    summary: 'Departments (a department administrator sees its own)',
    roles: ['system', 'department'],
    query: z.strictObject({ limit: Limit, cursor: Cursor }),
    response: page(DepartmentView),
    async run(c, { query }) {
      const rows = await departmentStore.page(c.app.db, c.access.all ? null : c.access.departments, decodeCursor(query.cursor, z.string()), query.limit);
      return { items: rows.map(departmentView), next_cursor: nextCursor(rows, query.limit, (r) => r.code) };
    },
  }),

  op({
    id: 'departments.create',
    method: 'post',
    path: '/departments',
    tag: 'departments',
    summary: 'Register a department',
    roles: ['system'],
    status: 201,
    body: z.strictObject({ code: DepartmentCode, name: z.string().min(1).max(128) }),
    response: DepartmentView,
    errors: [409],
    async run(c, { body }) {
      c.target = { type: 'department', id: body.code };
      return departmentView(await addDepartment(c.app, body.code, body.name, c.principal.actor));
    },
  }),

  op({
    id: 'departments.get',
    method: 'get',
    path: '/departments/{code}',
    tag: 'departments',
    summary: 'A department',
    roles: ['system', 'department'],
    params: z.strictObject({ code: DepartmentCode }),
    response: DepartmentView,
    errors: [404],
    async run(c, { params }) {
      c.target = { type: 'department', id: params.code };
      const row = await departmentStore.byCode(c.app.db, params.code);
      if (!row || !reaches(c.access, row.code)) throw notFound();
      return departmentView(row);
    },
  }),

  op({
    id: 'keys.list',
    method: 'get',
    path: '/keys',
    tag: 'keys',
    summary: 'Signing keys (no key material): active and retired',
    roles: ['system'],
    response: z.object({ items: z.array(z.object({ kid: z.string(), alg: z.string(), created_at: Timestamp, retired_at: Timestamp.nullable() })) }),
    run: async (c) => ({ items: await listSigningKeys(c.app) }),
  }),

  op({
    id: 'keys.rotate',
    method: 'post',
    path: '/keys/rotate',
    tag: 'keys',
    summary: 'Rotate the signing keys (every node picks the new ones up within 30 s)',
    roles: ['system'],
    response: z.object({ added: z.array(z.string()), retired: z.array(z.string()) }),
    async run(c) {
      await ensureSigningKeys(c.app);
      return rotateSigningKeys(c.app, c.principal.actor);
    },
  }),

  op({
    id: 'orgs.list',
    method: 'get',
    path: '/orgs',
    tag: 'orgs',
    summary: 'Legal persons (orgs), in USCC order; ?uscc= finds one',
    roles: ['security'],
    query: z.strictObject({ uscc: Uscc.optional(), status: z.enum(ORG_STATUSES).optional(), limit: Limit, cursor: Cursor }),
    response: page(OrgView),
    async run(c, { query }) {
      if (query.uscc) {
        const row = await orgStore.byUscc(c.app.db, usccParam(query.uscc));
        return { items: row ? [orgView(toOrg(row))] : [], next_cursor: null };
      }
      const rows = await orgStore.page(c.app.db, { status: query.status }, decodeCursor(query.cursor, z.string()), query.limit);
      return { items: rows.map((r) => orgView(toOrg(r))), next_cursor: nextCursor(rows, query.limit, (r) => r.uscc) };
    },
  }),

  op({
    id: 'orgs.get',
    method: 'get',
    path: '/orgs/{uscc}',
    tag: 'orgs',
    summary: 'An org with its legal representative and every authorisation (masked)',
    roles: ['security'],
    params: z.strictObject({ uscc: Uscc }),
    response: OrgView.extend({
      legal_representative: z.object({ sub: z.string(), name: z.string(), id_number: z.string() }).nullable(),
      authorizations: z.array(
        z.object({
          id: z.string(),
          agent: z.string(),
          name: z.string(),
          id_number: z.string(),
          role: z.string(),
          status: z.string(),
          state: z.string(),
          valid_from: Timestamp,
          valid_until: z.string().describe('last day, China Standard Time'),
          granted_by: z.string(),
        }),
      ),
    }),
    errors: [404],
    async run(c, { params }) {
      const uscc = usccParam(params.uscc);
      c.target = { type: 'org', id: uscc };
      const d = await orgDetails(c.app, uscc);
      return { ...orgView(d.org), legal_representative: d.legalRep, authorizations: d.authorizations };
    },
  }),

  op({
    id: 'orgs.set_status',
    method: 'post',
    path: '/orgs/{uscc}/status',
    tag: 'orgs',
    summary: 'Suspend, deregister or reactivate an org (suspending ends every context acting for it)',
    roles: ['security'],
    params: z.strictObject({ uscc: Uscc }),
    body: z.strictObject({ status: z.enum(ORG_STATUSES) }),
    response: OrgView.extend({ changed: z.boolean() }),
    errors: [404],
    async run(c, { params, body }) {
      const uscc = usccParam(params.uscc);
      c.target = { type: 'org', id: uscc };
      const r = await setOrgStatus(c.app, uscc, body.status, c.principal.actor);
      return { ...orgView(r.org), changed: r.changed };
    },
  }),

  op({
    id: 'orgs.revoke_authorization',
    method: 'post',
    path: '/orgs/{uscc}/authorizations/{authorization_id}/revoke',
    tag: 'orgs',
    summary: 'Revoke an agent’s authorisation; the contexts resting on it end',
    roles: ['security'],
    params: z.strictObject({ uscc: Uscc, authorization_id: Uuid }),
    response: z.object({ authorization_id: z.string(), status: z.string() }),
    errors: [404],
    async run(c, { params }) {
      const uscc = usccParam(params.uscc);
      c.target = { type: 'org_authorization', id: params.authorization_id };
      const r = await revokeAuthorization(c.app, { uscc, authorizationId: params.authorization_id }, { actor: c.principal.actor, ip: c.ip });
      return { authorization_id: r.authorization.id, status: r.authorization.status };
    },
  }),
];
