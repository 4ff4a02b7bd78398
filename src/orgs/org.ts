// Orgs and authorisations as the rest of the code sees them (mapped from the store's rows), and the
// plain rules over them: org types, validity periods, which authorisations let a person act for an
// org right now.
import type { AuthorizationRow, AuthorizationWithOrg, OrgRow } from './store.ts';

export const ORG_TYPES = [
  'enterprise', // 企业
  'individual_business', // 个体工商户
  'farmer_cooperative', // 农民专业合作社
  'government_agency', // 机关
  'public_institution', // 事业单位
  'social_organisation', // 社会组织（社会团体、民办非企业单位、基金会）
  'other',
] as const;
type OrgType = (typeof ORG_TYPES)[number];

export const ORG_STATUSES = ['active', 'suspended', 'deregistered'] as const;
export type OrgStatus = (typeof ORG_STATUSES)[number];

/** Roles an administrator or legal representative can grant. The legal representative's own role is implicit. */
export const GRANTABLE_ROLES = ['agent'] as const;
type GrantableRole = (typeof GRANTABLE_ROLES)[number];
export type OrgRole = 'legal_representative' | GrantableRole;

/** declined: the agent said no to a pending grant; relinquished: the agent gave up (放弃) an active one. */
type AuthorizationStatus = 'pending' | 'active' | 'declined' | 'revoked' | 'relinquished';

export interface Org {
  id: string;
  sub: string;
  uscc: string;
  orgCode: string;
  name: string;
  type: string;
  legalRepPersonId: string;
  status: string;
}

export interface Authorization {
  id: string;
  orgId: string;
  personId: string;
  role: string;
  status: AuthorizationStatus;
  validFrom: Date;
  validUntil: Date;
  grantedBy: string;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/**
 * The org type implied by the USCC's first two characters (GB 32100-2015: registration authority,
 * then category), used when `--type` is not given.
 */
export function orgTypeFromUscc(uscc: string): OrgType {
  switch (uscc.slice(0, 2)) {
    case '91':
      return 'enterprise';
    case '92':
      return 'individual_business';
    case '93':
      return 'farmer_cooperative';
    case '11':
      return 'government_agency';
    case '12':
      return 'public_institution';
    case '51':
    case '52':
    case '53':
      return 'social_organisation';
    default:
      return 'other';
  }
}

export function isOrgType(v: string): v is OrgType {
  return (ORG_TYPES as readonly string[]).includes(v);
}

export function isGrantableRole(v: string): v is GrantableRole {
  return (GRANTABLE_ROLES as readonly string[]).includes(v);
}

/** Validity dates are calendar days in China Standard Time (UTC+8, no daylight saving). */
const CST_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/**
 * `--until 2026-12-31` means "through the end of 31 December 2026, Beijing time": the returned
 * instant is the following midnight (exclusive end). Returns null for anything but a real date.
 */
export function endOfDayCst(date: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return new Date(utc + DAY_MS - CST_OFFSET_MS);
}

/** The last valid calendar day (Beijing time) of an exclusive end instant, as YYYY-MM-DD. */
export function lastDayCst(until: Date): string {
  return new Date(until.getTime() - 1 + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Default validity of a grant when no end date is given. */
export const DEFAULT_VALIDITY_DAYS = 365;
/** The longest validity accepted (a typo such as 2205-01-01 is refused). */
export const MAX_VALIDITY_DAYS = 5 * 366;

export function defaultUntil(now: Date): Date {
  const today = new Date(now.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
  return new Date(endOfDayCst(today)!.getTime() + DEFAULT_VALIDITY_DAYS * DAY_MS);
}

/** How long ended authorisations stay visible to their agent and representative (pages, entity selection notices). */
const RECENT_DAYS = 90;

/** Authorisations that ended before this instant are no longer shown. */
export function recentSince(now: Date): Date {
  return new Date(now.getTime() - RECENT_DAYS * DAY_MS);
}

/** Why an authorisation does not let its agent act right now (null: it does). */
export type Unusable = 'pending' | 'not_yet_valid' | 'expired' | 'revoked' | 'declined' | 'relinquished' | 'org_inactive';

export function authorizationState(a: Authorization, org: Org, now: Date): Unusable | null {
  if (org.status !== 'active') return 'org_inactive';
  if (a.status === 'revoked') return 'revoked';
  if (a.status === 'declined') return 'declined';
  if (a.status === 'relinquished') return 'relinquished';
  if (a.validUntil.getTime() <= now.getTime()) return 'expired';
  if (a.status === 'pending') return 'pending';
  if (a.validFrom.getTime() > now.getTime()) return 'not_yet_valid';
  return null;
}

export function toOrg(row: OrgRow): Org {
  return {
    id: row.id,
    sub: row.sub,
    uscc: row.uscc,
    orgCode: row.org_code,
    name: row.name,
    type: row.type,
    legalRepPersonId: row.legal_rep_person_id,
    status: row.status,
  };
}

export function toAuthorization(row: AuthorizationRow): Authorization {
  return {
    id: row.id,
    orgId: row.org_id,
    personId: row.person_id,
    role: row.role,
    status: row.status as AuthorizationStatus,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    grantedBy: row.granted_by,
    acceptedAt: row.accepted_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
  };
}

/** The org of an authorisation row read together with its org (store.forPerson). */
export function orgOfJoined(row: AuthorizationWithOrg): Org {
  return {
    id: row.org_id,
    sub: row.org_sub,
    uscc: row.org_uscc,
    orgCode: row.org_uscc.slice(8, 17),
    name: row.org_name,
    type: row.org_type,
    legalRepPersonId: row.org_legal_rep_person_id,
    status: row.org_status,
  };
}
