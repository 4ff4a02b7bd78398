// oidc-provider's sessions and grants as Yitong reads them from their payloads (payload-store.ts):
// whose they are, and which apps a session signed in to with which sid and grant.

/** A session's sign-ins at apps, as oidc-provider keeps them: per client, its sid and grant. */
export type SessionAuthorizations = Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;

export interface SessionRow {
  id: string;
  /** stable across the re-logins that change the id */
  uid: string;
  accountId: string;
  authorizations: SessionAuthorizations;
}

/** A session as its owner sees it listed (account centre). */
export interface SessionListing extends SessionRow {
  /** when the person signed in (epoch seconds) */
  loginTs: number | null;
  expiresAt: Date | null;
}

/** A grant as its owner sees it listed (account centre). */
export interface GrantListing {
  id: string;
  clientId: string;
  /** OIDC scopes granted (space-separated) */
  scope: string;
  /** when it was made (epoch seconds) */
  iat: number | null;
  expiresAt: Date | null;
}

/** A session as an administrator sees it: never its id (the cookie's value), only its stable uid. */
export interface ListedSession {
  uid: string;
  loginTs: number | null;
  acr: string | null;
  amr: string[];
  clientIds: string[];
  expiresAt: Date | null;
}

export interface GrantRow {
  id: string;
  accountId: string | null;
  clientId: string | null;
}

export function sessionRow(r: { id: string; payload: Record<string, unknown> }): SessionRow {
  return {
    id: r.id,
    uid: String(r.payload.uid ?? ''),
    accountId: String(r.payload.accountId ?? ''),
    authorizations: (r.payload.authorizations ?? {}) as SessionAuthorizations,
  };
}
