// Departmental apps (OIDC clients): registered by admins, stored in the database, secrets sealed.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { clientStore, type ClientRow } from './store.ts';
import { requireDepartment } from '../departments/service.ts';
import { endClientGrants } from '../logout/service.ts';
import { isAcr } from '../oidc/acr.ts';

const SECRET_AAD = 'clients.secret';

export interface NewClient {
  name: string;
  redirectUris: string[];
  department?: string | null;
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  public?: boolean;
  grantTypes?: string[];
  scope?: string | null;
  /** show the consent page even for a departmental (first-party) app */
  consent?: boolean;
  /** ES256 (default) or RS256, for apps whose libraries lack ECDSA */
  idTokenAlg?: string | null;
  /** how the app authenticates at the token endpoint: client_secret_basic (default), or none for public */
  tokenEndpointAuthMethod?: string | null;
  /** where the app publishes its public keys (private_key_jwt) */
  jwksUri?: string | null;
  /** the weakest login (acr) the app accepts: every login to it steps up to at least this */
  minAcr?: string | null;
  /** the lowest real-name level (1-4) the app accepts: a person below it gets no token */
  minRealNameLevel?: number | null;
}

export const ID_TOKEN_ALGS = ['ES256', 'RS256'];

/** What a client may register with; discovery advertises exactly these (PROTOCOL_SETTINGS). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
const isAuthMethod = (m: string): m is TokenEndpointAuthMethod => (TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(m);

/**
 * The method and what it needs: a shared secret for the client_secret_* methods (64 bytes for
 * client_secret_jwt, enough for HS512 assertions), the app's key set for private_key_jwt.
 */
function authMethodOf(input: NewClient): { method: TokenEndpointAuthMethod; secretBytes: number } {
  const method = input.tokenEndpointAuthMethod ?? (input.public ? 'none' : 'client_secret_basic');
  if (!isAuthMethod(method)) throw new AppError('client.auth_method_invalid', 'invalid_input', method);
  if (input.public && method !== 'none') throw new AppError('client.invalid', 'invalid_input', `--public authenticates with none, not ${method}`);
  if (method === 'private_key_jwt' && !input.jwksUri) throw new AppError('client.jwks_uri_required');
  if (method !== 'private_key_jwt' && input.jwksUri) throw new AppError('client.jwks_uri_unused', 'invalid_input', method);
  const secretBytes = method === 'client_secret_jwt' ? 64 : method.startsWith('client_secret_') ? 32 : 0;
  return { method, secretBytes };
}

/** What the running provider accepts: its grant types, and its own validation of the metadata. */
export interface ClientRules {
  grantTypes: string[];
  validate(metadata: Record<string, unknown>): Promise<void>;
}

function checkUri(uri: string, production: boolean, code = 'client.redirect_uri_invalid'): string {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw new AppError(code, 'invalid_input', uri);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  if (u.hash || !['https:', 'http:'].includes(u.protocol) || (production && u.protocol === 'http:' && !loopback)) {
    throw new AppError(code, 'invalid_input', uri);
  }
  return uri;
}

export async function addClient(ctx: AppContext, input: NewClient, actor: string, rules: ClientRules) {
  const name = input.name?.normalize('NFKC').trim();
  if (!name || name.length > 128) throw new AppError('name.invalid');
  const grantTypes = input.grantTypes?.length ? [...new Set(input.grantTypes)] : ['authorization_code', 'refresh_token'];
  for (const g of grantTypes) if (!rules.grantTypes.includes(g)) throw new AppError('client.invalid', 'invalid_input', `grant_type ${g}`);
  const usesCode = grantTypes.includes('authorization_code');
  if (usesCode && !input.redirectUris.length) throw new AppError('client.redirect_uri_invalid', 'invalid_input', '--redirect-uri');
  const { method, secretBytes } = authMethodOf(input);
  const isPublic = method === 'none';
  if (isPublic && grantTypes.includes('client_credentials')) throw new AppError('client.invalid', 'invalid_input', 'a public client cannot use client_credentials');
  const production = ctx.config.production;
  if (input.department) await requireDepartment(ctx, input.department);

  const clientId = `yt_${crypto.randomBytes(10).toString('hex')}`;
  const secret = secretBytes ? crypto.randomBytes(secretBytes).toString('base64url') : null;
  const metadata: Record<string, unknown> = {
    client_id: clientId,
    client_name: name,
    redirect_uris: input.redirectUris.map((u) => checkUri(u, production)),
    post_logout_redirect_uris: (input.postLogoutRedirectUris ?? []).map((u) => checkUri(u, production)),
    grant_types: grantTypes,
    response_types: usesCode ? ['code'] : [],
    token_endpoint_auth_method: method,
    id_token_signed_response_alg: input.idTokenAlg ?? 'ES256',
  };
  if (input.jwksUri) metadata.jwks_uri = checkUri(input.jwksUri, production, 'client.jwks_uri_invalid');
  if (!ID_TOKEN_ALGS.includes(metadata.id_token_signed_response_alg as string)) throw new AppError('client.invalid', 'invalid_input', `id token alg ${input.idTokenAlg}`);
  if (input.scope) metadata.scope = input.scope;
  applyPolicies(metadata, { minAcr: input.minAcr || undefined, minRealNameLevel: input.minRealNameLevel ?? undefined }, []);
  if (input.backchannelLogoutUri) {
    metadata.backchannel_logout_uri = checkUri(input.backchannelLogoutUri, production);
    metadata.backchannel_logout_session_required = true;
  }
  try {
    await rules.validate({ ...metadata, ...(secret ? { client_secret: secret } : {}) });
  } catch (err) {
    const e = err as { error_description?: string; message?: string };
    throw new AppError('client.invalid', 'invalid_input', e.error_description ?? e.message);
  }
  const firstParty = Boolean(input.department) && !input.consent;
  await ctx.db.transaction().execute(async (trx) => {
    await clientStore.insert(trx, {
      client_id: clientId,
      name,
      department_code: input.department ?? null,
      first_party: firstParty,
      metadata: JSON.stringify(metadata),
      secret_enc: secret ? ctx.keyring.seal(secret, SECRET_AAD) : null,
    });
    await ctx.audit.append(
      { event: 'client.create', outcome: 'success', actor, clientId, detail: { name, department: input.department ?? null, grant_types: grantTypes, public: isPublic, token_endpoint_auth_method: method, ...(input.minAcr ? { min_acr: input.minAcr } : {}), ...(metadata.yitong_min_real_name_level ? { min_real_name_level: metadata.yitong_min_real_name_level } : {}) } },
      trx,
    );
  });
  return { client_id: clientId, ...(secret ? { client_secret: secret } : {}) };
}

/** Disabling an app ends its users' sessions there at once (grants revoked, the app told). */
export async function setClientStatus(ctx: AppContext, clientId: string, status: 'active' | 'disabled', actor: string) {
  return ctx.db.transaction().execute(async (trx) => {
    if (!(await clientStore.setStatus(trx, clientId, status))) throw new AppError('client.unknown', 'not_found', clientId);
    const ended = status === 'disabled' ? await endClientGrants(ctx, trx, clientId, 'client.disable', actor) : null;
    await ctx.audit.append({ event: status === 'active' ? 'client.enable' : 'client.disable', outcome: 'success', actor, clientId }, trx);
    cache.delete(clientId);
    return { ended };
  });
}

export const listClients = (ctx: AppContext) => clientStore.list(ctx.db);

/** JSON with sorted keys (jsonb does not keep the order keys were written in). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * An opaque version of a client's registration: it changes with every change (name, status,
 * metadata, secret), whoever made it. Updates name the version they were based on (optimistic
 * concurrency): a stale one is refused.
 */
export function clientVersion(row: ClientRow): string {
  const state = canonical({ n: row.name, s: row.status, d: row.department_code, m: row.metadata, k: row.secret_enc });
  return crypto.createHash('sha256').update(state).digest('base64url').slice(0, 16);
}

export interface ClientUpdate {
  name?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  /** the weakest sign-in the app accepts; null: no minimum */
  minAcr?: string | null;
  /** the lowest real-name level the app accepts; null: no minimum */
  minRealNameLevel?: number | null;
}

/** Sets or clears the app's login policies in its metadata (add and update check them alike). */
function applyPolicies(metadata: Record<string, unknown>, p: { minAcr?: string | null; minRealNameLevel?: number | null }, changed: string[]): void {
  if (p.minAcr !== undefined) {
    if (p.minAcr === null) delete metadata.yitong_min_acr;
    else if (!isAcr(p.minAcr)) throw new AppError('client.min_acr_invalid', 'invalid_input', p.minAcr);
    else metadata.yitong_min_acr = p.minAcr;
    changed.push('min_acr');
  }
  if (p.minRealNameLevel !== undefined) {
    if (p.minRealNameLevel === null) delete metadata.yitong_min_real_name_level;
    else if (!Number.isInteger(p.minRealNameLevel) || p.minRealNameLevel < 1 || p.minRealNameLevel > 4) {
      throw new AppError('client.min_real_name_level_invalid', 'invalid_input', String(p.minRealNameLevel));
    } else metadata.yitong_min_real_name_level = p.minRealNameLevel;
    changed.push('min_real_name_level');
  }
}

/** Changes an app's name and addresses, if `version` is still the registration's (else 409). */
export async function updateClient(ctx: AppContext, clientId: string, patch: ClientUpdate, version: string, actor: string, rules: ClientRules): Promise<ClientRow> {
  const production = ctx.config.production;
  const updated = await ctx.db.transaction().execute(async (trx) => {
    const row = await clientStore.byIdForUpdate(trx, clientId);
    if (!row) throw new AppError('client.unknown', 'not_found', clientId);
    if (clientVersion(row) !== version) throw new AppError('admin.version_conflict', 'conflict');
    const metadata: Record<string, unknown> = { ...row.metadata };
    const changed: string[] = [];
    let name = row.name;
    if (patch.name !== undefined) {
      name = patch.name.normalize('NFKC').trim();
      if (!name || name.length > 128) throw new AppError('name.invalid');
      metadata.client_name = name;
      changed.push('name');
    }
    if (patch.redirectUris !== undefined) {
      const usesCode = ((metadata.grant_types ?? []) as string[]).includes('authorization_code');
      if (usesCode && !patch.redirectUris.length) throw new AppError('client.redirect_uri_invalid', 'invalid_input', 'redirect_uris');
      metadata.redirect_uris = patch.redirectUris.map((u) => checkUri(u, production));
      changed.push('redirect_uris');
    }
    if (patch.postLogoutRedirectUris !== undefined) {
      metadata.post_logout_redirect_uris = patch.postLogoutRedirectUris.map((u) => checkUri(u, production));
      changed.push('post_logout_redirect_uris');
    }
    if (patch.backchannelLogoutUri !== undefined) {
      if (patch.backchannelLogoutUri) {
        metadata.backchannel_logout_uri = checkUri(patch.backchannelLogoutUri, production);
        metadata.backchannel_logout_session_required = true;
      } else {
        delete metadata.backchannel_logout_uri;
        delete metadata.backchannel_logout_session_required;
      }
      changed.push('backchannel_logout_uri');
    }
    applyPolicies(metadata, patch, changed);
    try {
      await rules.validate({ ...metadata, ...(row.secret_enc ? { client_secret: ctx.keyring.open(row.secret_enc, SECRET_AAD) } : {}) });
    } catch (err) {
      const e = err as { error_description?: string; message?: string };
      throw new AppError('client.invalid', 'invalid_input', e.error_description ?? e.message);
    }
    await clientStore.updateMetadata(trx, clientId, name, JSON.stringify(metadata));
    await ctx.audit.append({ event: 'client.update', outcome: 'success', actor, clientId, detail: { changed } }, trx);
    return (await clientStore.byId(trx, clientId))!;
  });
  cache.delete(clientId);
  return updated;
}

/** A new secret for an app that authenticates with one; the old one stops working at once. */
export async function rotateClientSecret(ctx: AppContext, clientId: string, version: string | undefined, actor: string): Promise<{ row: ClientRow; secret: string }> {
  const out = await ctx.db.transaction().execute(async (trx) => {
    const row = await clientStore.byIdForUpdate(trx, clientId);
    if (!row) throw new AppError('client.unknown', 'not_found', clientId);
    if (version !== undefined && clientVersion(row) !== version) throw new AppError('admin.version_conflict', 'conflict');
    const method = String(row.metadata.token_endpoint_auth_method ?? 'client_secret_basic');
    if (!row.secret_enc || !method.startsWith('client_secret_')) throw new AppError('client.invalid', 'invalid_input', `${method} uses no shared secret`);
    const secret = crypto.randomBytes(method === 'client_secret_jwt' ? 64 : 32).toString('base64url');
    await clientStore.setSecret(trx, clientId, ctx.keyring.seal(secret, SECRET_AAD));
    await ctx.audit.append({ event: 'client.secret.rotate', outcome: 'success', actor, clientId }, trx);
    return { row: (await clientStore.byId(trx, clientId))!, secret };
  });
  cache.delete(clientId);
  return out;
}

// Every protocol request looks its client up; a short cache spares the database. A change made
// with the CLI reaches every node within CACHE_MS.
const CACHE_MS = 5000;
const cache = new Map<string, { at: number; value: Record<string, unknown> | undefined }>();

/** The client as oidc-provider wants it (secret opened, extra metadata added), or undefined. */
export async function loadClientMetadata(ctx: AppContext, clientId: string): Promise<Record<string, unknown> | undefined> {
  const hit = cache.get(clientId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const row = await clientStore.byId(ctx.db, clientId);
  const value =
    row && row.status === 'active'
      ? {
          ...row.metadata,
          ...(row.secret_enc ? { client_secret: ctx.keyring.open(row.secret_enc, SECRET_AAD) } : {}),
          yitong_department: row.department_code,
          yitong_first_party: row.first_party,
        }
      : undefined;
  if (cache.size > 10_000) cache.clear();
  cache.set(clientId, { at: Date.now(), value });
  return value;
}
