// Legal persons (法人), their agents' authorisations (经办人授权) and the acting entity chosen per
// oidc-provider grant. See migrations/0002_orgs.ts.
import type { ColumnType, Generated } from 'kysely';

export interface OrgTable {
  id: string;
  /** stable opaque id published as the org_sub claim (never the USCC) */
  sub: string;
  /** unified social credit code, normalised, check character verified */
  uscc: string;
  /** pre-2015 organisation code (组织机构代码), USCC positions 9-17, kept for lookup */
  org_code: string;
  name: string;
  type: string;
  legal_rep_person_id: string;
  status: Generated<string>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface OrgAuthorizationTable {
  id: string;
  org_id: string;
  person_id: string;
  role: string;
  /** pending (waiting for the agent) | active | declined | revoked; expiry is by time (valid_until) */
  status: string;
  valid_from: Date;
  valid_until: Date;
  /** who granted: a person's sub (the legal representative) or `cli:NAME` */
  granted_by: string;
  granted_by_person_id: string | null;
  accepted_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  /** set once the end (revocation or expiry) has been carried out: grants revoked, apps told */
  ended_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface OrgEntityContextTable {
  /** oidc-provider Grant id (jti): the acting entity is part of the grant */
  grant_id: string;
  client_id: string;
  person_id: string;
  /** null: acting as a natural person */
  org_id: string | null;
  role: string | null;
  /** the agent authorisation the context rests on (role agent) */
  authorization_id: string | null;
  /** the session's sid at the client, for back-channel logout */
  sid: string | null;
  /** login (entity selection) | exchange (token exchange) */
  kind: string;
  created_at: Generated<Date>;
}

export interface OrgsTables {
  orgs: OrgTable;
  org_authorizations: OrgAuthorizationTable;
  org_entity_contexts: OrgEntityContextTable;
}
