// Administrator roles through the API and console. Who: the security administrator, the role that
// assigns rights under 三员分立 (the system administrator runs the platform, the audit
// administrator watches both). Three limits keep that from becoming a way to grant oneself
// anything: only a signed-in person (never an automation client) manages roles, nobody changes
// their own, and ADMIN_ROLE_EXCLUSIONS holds as for the CLI. Every change is audited
// (admin.role.grant / admin.role.revoke, beside the admin.api record of the call).
import { z } from 'zod';
import { grantRoleToSub, listAdmins, revokeGrant } from '../../service.ts';
import { ROLES } from '../../roles.ts';
import { AdminError, op, type OpContext } from '../op.ts';
import { DepartmentCode, Sub, Timestamp, Uuid } from '../schemas.ts';

const GrantView = z
  .object({
    id: z.string(),
    holder: z.object({ type: z.enum(['person', 'client']), sub: z.string().optional(), client_id: z.string().optional(), name: z.string().describe('masked for a person'), id_number: z.string().optional().describe('masked') }),
    role: z.string(),
    department: z.string().nullable(),
    granted_by: z.string(),
    granted_at: Timestamp,
  })
  .meta({ id: 'AdminRoleGrant' });

function personOnly(c: OpContext) {
  if (c.principal.kind !== 'person') throw new AdminError('admin.role_person_only', 'forbidden');
}

export const adminRoleOps = [
  op({
    id: 'admin_roles.list',
    method: 'get',
    path: '/admin-roles',
    tag: 'admin-roles',
    summary: 'Every administrator role held, by persons and automation clients (holders masked)',
    roles: ['security'],
    response: z.object({ items: z.array(GrantView) }),
    run: async (c) => ({ items: await listAdmins(c.app) }),
  }),

  op({
    id: 'admin_roles.grant',
    method: 'post',
    path: '/admin-roles',
    tag: 'admin-roles',
    summary: 'Grant a person an administrator role',
    description: 'Only a signed-in security administrator (not an automation client), never to themselves; ADMIN_ROLE_EXCLUSIONS holds (409). Granting a role the person holds changes nothing (`changed: false`).',
    roles: ['security'],
    status: 201,
    body: z.strictObject({ sub: Sub, role: z.enum(ROLES), department: DepartmentCode.optional() }),
    response: z.object({ id: z.string(), sub: z.string(), role: z.string(), department: z.string().nullable(), changed: z.boolean() }),
    errors: [404, 409],
    async run(c, { body }) {
      personOnly(c);
      c.target = { type: 'person', id: body.sub };
      return grantRoleToSub(c.app, body.sub, body.role, body.department, c.principal.actor);
    },
  }),

  op({
    id: 'admin_roles.revoke',
    method: 'delete',
    path: '/admin-roles/{grant_id}',
    tag: 'admin-roles',
    summary: 'Revoke one administrator role (the holder’s next call no longer has it)',
    description: 'Only a signed-in security administrator, never their own.',
    roles: ['security'],
    params: z.strictObject({ grant_id: Uuid }),
    response: z.object({ id: z.string(), sub: z.string().optional(), client_id: z.string().nullable().optional(), role: z.string(), department: z.string().nullable() }),
    errors: [404],
    async run(c, { params }) {
      personOnly(c);
      c.target = { type: 'admin_role', id: params.grant_id };
      return revokeGrant(c.app, params.grant_id, c.principal.actor);
    },
  }),
];
