// Granting and revoking administrator roles (`yitong admin grant|revoke|list`, `client add
// --admin-role`), and the roles a person or client holds when it calls the admin API. Every change
// is audited in its own transaction; one holder's grants are serialised, so the configured
// exclusions (default: system and audit never together) hold under concurrent grants.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { parseIdNumber } from '../identity/id-number.ts';
import { maskIdNumber, maskName } from '../identity/mask.ts';
import { personStore, type PersonRow } from '../accounts/store.ts';
import { openPerson } from '../accounts/person.ts';
import { clientStore } from '../clients/store.ts';
import { requireDepartment } from '../departments/service.ts';
import { adminRoleStore, type AdminRoleRow, type Holder } from './store.ts';
import { exclusionBroken, isRole, type Role, type RoleGrant } from './roles.ts';

export function parseRole(raw: string | undefined): Role {
  if (!isRole(raw)) throw new AppError('admin.role_invalid', 'invalid_input', raw);
  return raw;
}

/** `--department` goes with the department role and with no other. */
function departmentFor(role: Role, department: string | null | undefined): string | null {
  if (role === 'department' && !department) throw new AppError('admin.department_required');
  if (role !== 'department' && department) throw new AppError('admin.department_unexpected', 'invalid_input', role);
  return role === 'department' ? department! : null;
}

async function personByIdNumber(app: AppContext, idNumber: string): Promise<PersonRow> {
  const id = parseIdNumber(idNumber);
  if (!id.ok) throw new AppError(id.error);
  const row = await personStore.byIdNumberIndex(app.db, 'resident_id', app.keyring.blindIndexes('resident_id', id.value));
  if (!row) throw new AppError('person.unknown', 'not_found', maskIdNumber(id.value));
  return row;
}

const grantsOf = (rows: AdminRoleRow[]): RoleGrant[] => rows.filter((r) => isRole(r.role)).map((r) => ({ role: r.role as Role, department: r.department_code }));

async function grant(app: AppContext, holder: Holder, role: Role, department: string | null, actor: string, target: Record<string, unknown>) {
  if (department) await requireDepartment(app, department);
  return app.db.transaction().execute(async (trx) => {
    await adminRoleStore.lockHolder(trx, holder);
    const held = grantsOf(await adminRoleStore.of(trx, holder)).map((g) => g.role);
    const broken = exclusionBroken(held, role, app.config.admin.roleExclusions);
    if (broken) throw new AppError('admin.role_exclusive', 'conflict', broken.join('+'));
    const changed = await adminRoleStore.insert(trx, {
      id: crypto.randomUUID(),
      person_id: 'personId' in holder ? holder.personId : null,
      client_id: 'clientId' in holder ? holder.clientId : null,
      role,
      department_code: department,
      granted_by: actor,
    });
    await app.audit.append({ event: 'admin.role.grant', outcome: 'success', actor, detail: { ...target, role, department, changed } }, trx);
    return { role, department, changed };
  });
}

/** `yitong admin grant --id-number ID --role ROLE [--department CODE]` */
export async function grantPersonRole(app: AppContext, idNumber: string, roleRaw: string | undefined, departmentRaw: string | null | undefined, actor: string) {
  const role = parseRole(roleRaw);
  const department = departmentFor(role, departmentRaw);
  const person = await personByIdNumber(app, idNumber);
  const r = await grant(app, { personId: person.id }, role, department, actor, { sub: person.sub });
  return { sub: person.sub, ...r };
}

/** `yitong admin revoke --id-number ID --role ROLE [--department CODE]` */
export async function revokePersonRole(app: AppContext, idNumber: string, roleRaw: string | undefined, departmentRaw: string | null | undefined, actor: string) {
  const role = parseRole(roleRaw);
  const department = departmentFor(role, departmentRaw);
  const person = await personByIdNumber(app, idNumber);
  return app.db.transaction().execute(async (trx) => {
    const n = await adminRoleStore.remove(trx, { personId: person.id }, role, department);
    if (!n) throw new AppError('admin.role_not_held', 'not_found', role);
    await app.audit.append({ event: 'admin.role.revoke', outcome: 'success', actor, detail: { sub: person.sub, role, department } }, trx);
    return { sub: person.sub, role, department };
  });
}

/**
 * The admin API and console (security administrators): grant a person, found by sub, a role. Nobody
 * changes their own roles, so raising one's own privileges always takes a second administrator.
 */
export async function grantRoleToSub(app: AppContext, sub: string, roleRaw: string, departmentRaw: string | null | undefined, actor: string) {
  const role = parseRole(roleRaw);
  const department = departmentFor(role, departmentRaw);
  const person = await personStore.bySub(app.db, sub);
  if (!person) throw new AppError('person.unknown', 'not_found');
  if (person.sub === actor) throw new AppError('admin.role_self', 'forbidden');
  const r = await grant(app, { personId: person.id }, role, department, actor, { sub });
  const row = (await adminRoleStore.of(app.db, { personId: person.id })).find((g) => g.role === role && g.department_code === department);
  return { id: row?.id ?? '', sub, ...r };
}

/** The admin API and console: revoke one grant by its id (never one's own). */
export async function revokeGrant(app: AppContext, grantId: string, actor: string) {
  return app.db.transaction().execute(async (trx) => {
    const row = await adminRoleStore.byId(trx, grantId);
    if (!row) throw new AppError('admin.role_not_held', 'not_found');
    const sub = row.person_id ? (await personStore.byId(trx, row.person_id))?.sub : undefined;
    if (sub && sub === actor) throw new AppError('admin.role_self', 'forbidden');
    await adminRoleStore.removeById(trx, grantId);
    const holder = sub ? { sub } : { client_id: row.client_id };
    await app.audit.append({ event: 'admin.role.revoke', outcome: 'success', actor, detail: { ...holder, role: row.role, department: row.department_code } }, trx);
    return { id: grantId, ...holder, role: row.role, department: row.department_code };
  });
}

/**
 * `client add --grant-type client_credentials --admin-role ROLE`: an automation client. A
 * department role is scoped to the client's own department.
 */
export async function grantClientRole(app: AppContext, clientId: string, role: Role, actor: string) {
  const client = await clientStore.byId(app.db, clientId);
  if (!client) throw new AppError('client.unknown', 'not_found', clientId);
  const grantTypes = (client.metadata.grant_types ?? []) as string[];
  if (!grantTypes.includes('client_credentials') || !client.secret_enc) throw new AppError('admin.client_not_automation', 'invalid_input', clientId);
  const department = role === 'department' ? client.department_code : null;
  if (role === 'department' && !department) throw new AppError('admin.department_required');
  return grant(app, { clientId }, role, department, actor, { client_id: clientId });
}

/** Checked before a client is created with --admin-role, so a bad role creates nothing. */
export function checkClientRole(roleRaw: string, input: { grantTypes: string[]; department: string | null; public: boolean }): Role {
  const role = parseRole(roleRaw);
  if (input.public || !input.grantTypes.includes('client_credentials')) throw new AppError('admin.client_not_automation', 'invalid_input', '--grant-type client_credentials');
  if (role === 'department' && !input.department) throw new AppError('admin.department_required');
  return role;
}

export const rolesOfPerson = async (app: AppContext, personId: string): Promise<RoleGrant[]> => grantsOf(await adminRoleStore.of(app.db, { personId }));
export const rolesOfClient = async (app: AppContext, clientId: string): Promise<RoleGrant[]> => grantsOf(await adminRoleStore.of(app.db, { clientId }));

export interface AdminListing {
  /** the grant's id (what the admin API revokes) */
  id: string;
  holder: { type: 'person'; sub: string; name: string; id_number: string } | { type: 'client'; client_id: string; name: string };
  role: string;
  department: string | null;
  granted_by: string;
  granted_at: string;
}

/** `yitong admin list`: every grant, holders masked. */
export async function listAdmins(app: AppContext): Promise<AdminListing[]> {
  const rows = await adminRoleStore.list(app.db);
  const out: AdminListing[] = [];
  for (const r of rows) {
    let holder: AdminListing['holder'];
    if (r.person_id) {
      const row = await personStore.byId(app.db, r.person_id);
      const p = row ? openPerson(app.keyring, row) : null;
      holder = { type: 'person', sub: p?.sub ?? '', name: p ? maskName(p.name) : '', id_number: p?.idNumber ? maskIdNumber(p.idNumber) : '' };
    } else {
      const c = await clientStore.byId(app.db, r.client_id!);
      holder = { type: 'client', client_id: r.client_id!, name: c?.name ?? '' };
    }
    out.push({ id: r.id, holder, role: r.role, department: r.department_code, granted_by: r.granted_by, granted_at: new Date(r.created_at).toISOString() });
  }
  return out;
}
