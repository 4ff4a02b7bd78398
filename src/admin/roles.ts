// Administrator roles (三员分立) and what each may do. Plain data and functions: the API's
// operations name the roles that may call them, and `accessFor` says how far a caller's roles
// reach (everything, or only some departments).
export const ROLES = ['system', 'security', 'audit', 'department'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** One role as held: the department role names its department. */
export interface RoleGrant {
  role: Role;
  department: string | null;
}

/**
 * How far a caller reaches for one operation: every resource, or only the resources of some
 * departments (a department administrator). Resources outside are answered as if they did not
 * exist (404), so a department cannot learn of another's.
 */
export type Access = { all: true } | { all: false; departments: string[] };

/** The access the caller's grants give for an operation open to `allowed`, or null (403). */
export function accessFor(grants: RoleGrant[], allowed: readonly Role[]): Access | null {
  if (grants.some((g) => g.role !== 'department' && allowed.includes(g.role))) return { all: true };
  if (!allowed.includes('department')) return null;
  const departments = [...new Set(grants.filter((g) => g.role === 'department' && g.department).map((g) => g.department!))];
  return departments.length ? { all: false, departments } : null;
}

/** Whether `access` reaches a resource of `department` (null: a resource of no department). */
export function reaches(access: Access, department: string | null | undefined): boolean {
  return access.all || (department != null && access.departments.includes(department));
}

/** The pair of roles that `next` would combine against the configured exclusions, if any. */
export function exclusionBroken(held: Role[], next: Role, exclusions: [string, string][]): [string, string] | null {
  for (const [a, b] of exclusions) {
    if ((next === a && held.includes(b as Role)) || (next === b && held.includes(a as Role))) return [a, b];
  }
  return null;
}

/** acr values, weakest first; -1 for a value not on the list (never strong enough). */
export function acrRank(acr: unknown, order: readonly string[]): number {
  return typeof acr === 'string' ? order.indexOf(acr) : -1;
}
